/// Lints one script statement by statement, keeping what it learns in a ``LintSchemaState``.
struct ScriptLint {
    /// Which part of a migration the script is.
    enum Role {
        /// An up script: every rule.
        case up
        /// A down script: only the rules about statements the engine cannot run.
        case down
        /// An applied migration read for its references: no findings.
        case context
    }

    let script: MigrationScript
    let role: Role
    let engine: DatabaseEngine
    let sqliteVersion: [Int]?
    let migration: Migration?
    var state: LintSchemaState
    private(set) var diagnostics: [LintDiagnostic] = []

    let statements: [SQLStatement]
    let directives: ScriptDirectives
    let suppressions: LintSuppressions

    /// Inside a `BEGIN` the script itself opened.
    var inExplicitTransaction = false
    /// `SET lock_timeout` ran, or the script has `-- strata:lock-timeout`.
    var lockTimeoutSet: Bool
    /// ``LintRule/pgMissingLockTimeout`` is reported once per script.
    var lockTimeoutReported = false
    /// Tables whose rows were copied with `INSERT … SELECT … FROM t` (a rebuild, not a loss).
    var copiedTables: Set<String> = []

    /// The statement being checked, and its tokens.
    var statement = SQLStatement(text: "", utf8Range: 0..<0, location: SourceLocation(file: "", line: 1, column: 1))
    var tokens = StatementTokens("", dialect: .generic)

    init(script: MigrationScript, role: Role, engine: DatabaseEngine, sqliteVersion: [Int]?, state: LintSchemaState,
         migration: Migration?) {
        self.script = script
        self.role = role
        self.engine = engine
        self.sqliteVersion = sqliteVersion
        self.state = state
        self.migration = migration
        statements = script.statements(dialect: engine.dialect)
        directives = (try? ScriptDirectives.parse(script)) ?? ScriptDirectives()
        suppressions = LintSuppressions(script)
        lockTimeoutSet = directives.lockTimeout != nil
    }

    /// Checks every statement, then the ignore comments themselves.
    mutating func run() {
        for statement in statements {
            self.statement = statement
            guard Self.mayBeChecked(statement) else { continue }
            tokens = StatementTokens(statement.text, dialect: engine.dialect)
            check()
        }
        if role != .context {
            for unknown in suppressions.unknownCodes() {
                diagnostics.append(LintDiagnostic(
                    code: LintRule.unknownIgnore.code, severity: LintRule.unknownIgnore.severity,
                    location: SourceLocation(file: script.path, line: unknown.line, column: unknown.column),
                    message: "`-- strata:lint-ignore \(unknown.code)`: there is no rule \(unknown.code)",
                    hint: LintRule.unknownIgnore.fix))
            }
        }
    }

    /// ``LintRule/missingDown`` for the migration of this up script.
    mutating func checkDown() {
        guard let migration, migration.kind != .repeatable, role == .up else { return }
        let message: String
        switch migration.down {
        case .script: return
        case .none: message = "migration \(migration.id) has no down script; it cannot be rolled back"
        case .irreversible(let path): message = "migration \(migration.id)'s down script \(path) is empty; it cannot be rolled back"
        }
        let first = statements.first
        statement = first ?? SQLStatement(text: "", utf8Range: 0..<0, location: SourceLocation(file: script.path, line: script.firstLine, column: 1))
        tokens = StatementTokens(statement.text, dialect: engine.dialect)
        report(.missingDown, at: 0, message)
    }

    /// The first words ``check()`` looks further into (`INSERT` and `REPLACE` only when a
    /// `SELECT` follows).
    private static let checkedFirstWords: Set<String> = [
        "CREATE", "ALTER", "DROP", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SET", "SELECT", "REINDEX", "TRUNCATE",
    ]

    /// Whether ``check()`` can find anything in a statement, judged from its first word without
    /// tokenizing the rest: most statements of a script (inserts of rows, updates) are of no
    /// interest to any rule, and tokenizing them was most of the linter's time.
    static func mayBeChecked(_ statement: SQLStatement) -> Bool {
        guard let first = statement.firstKeywords(1).first else { return false }
        if checkedFirstWords.contains(first) { return true }
        if first == "INSERT" || first == "REPLACE" { return ByteSearch.containsIgnoringASCIICase(statement.text, "SELECT") }
        return false
    }

    /// Dispatches one statement to the checks for its kind.
    private mutating func check() {
        guard let first = tokens[0] else { return }
        switch first.upper {
        case "CREATE": checkCreate()
        case "ALTER": if tokens[1]?.is("TABLE") == true { checkAlterTable() }
        case "DROP": checkDrop()
        case "INSERT", "REPLACE": noteCopies()
        case "BEGIN", "START": inExplicitTransaction = true
        case "COMMIT", "END", "ROLLBACK":
            if tokens[1]?.is("TO") != true && !tokens.matches(["ROLLBACK", "TO"], at: 0) { inExplicitTransaction = false }
        case "SET", "SELECT":
            if tokens.tokens.contains(where: { $0.name == "lock_timeout" || $0.text.lowercased().contains("'lock_timeout'") }) {
                lockTimeoutSet = true
            }
        case "REINDEX":
            if tokens.find(["CONCURRENTLY"], from: 1) != nil { checkConcurrently(at: 0, what: "REINDEX CONCURRENTLY") }
        case "TRUNCATE":
            let table = tokens.qualifiedName(at: tokens.skipping([["TABLE"], ["ONLY"]], at: 1))?.name
            if let table { checkLockTimeout(table: table, at: 0, what: "TRUNCATE") }
        default:
            break
        }
    }

    // MARK: Reporting

    /// The location of token `index` of the current statement (its start when out of range).
    func location(ofToken index: Int) -> SourceLocation {
        let offset = tokens[index]?.offset ?? 0
        guard !statement.text.isEmpty else { return statement.location }
        return script.location(ofUTF8Offset: statement.utf8Range.lowerBound + offset)
    }

    /// Records a finding of `rule` at token `index`, unless an ignore comment suppresses it.
    mutating func report(_ rule: LintRule, at index: Int, _ message: String, severity: LintSeverity? = nil, hint: String? = nil) {
        guard role != .context, rule.engines.contains(engine) else { return }
        let location = location(ofToken: index)
        guard !suppressions.ignores(rule.code, line: location.line, statementLine: statement.location.line) else { return }
        diagnostics.append(LintDiagnostic(code: rule.code, severity: severity ?? rule.severity, location: location,
                                          message: message, hint: hint ?? rule.fix))
    }

    /// Whether the checks for up scripts apply (data loss, locks, table state).
    var checksBehaviour: Bool { role == .up }
}
