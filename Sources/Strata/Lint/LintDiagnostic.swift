/// One finding of the linter: which rule, where, what, and what to do.
///
/// Its ``description`` reads like a compiler's:
///
/// ```text
/// migrations/003_add_email.sql:4:1: warning[STRATA002]: DROP TABLE sessions deletes the table and its rows
/// hint: keep the table until no code reads it, or back it up first; suppress with `-- strata:lint-ignore STRATA002`
/// ```
public struct LintDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The rule's stable code, for example `SQLITE001`.
    public var code: String
    /// The severity (usually the rule's; see ``LintRule/severity``).
    public var severity: LintSeverity
    /// Where the offending statement or clause is.
    public var location: SourceLocation
    /// One sentence about this statement, without a trailing period.
    public var message: String
    /// What to do instead.
    public var hint: String

    /// Creates a diagnostic.
    public init(code: String, severity: LintSeverity, location: SourceLocation, message: String, hint: String) {
        self.code = code
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// `file:line:col: severity[CODE]: message` and a `hint:` line.
    public var description: String {
        "\(location): \(severity.rawValue)[\(code)]: \(message)\nhint: \(hint)"
    }
}
