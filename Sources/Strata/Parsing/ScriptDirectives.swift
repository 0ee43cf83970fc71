/// Directives given in the leading comment lines of an up script (SPEC §2).
///
/// ```sql
/// -- strata:no-transaction
/// -- strata:lock-timeout 5s
/// CREATE INDEX CONCURRENTLY users_email ON users (email);
/// ```
///
/// - `-- strata:no-transaction`: run outside a transaction.
/// - `-- strata:foreign-keys immediate`: keep SQLite foreign keys enforced statement by statement
///   (`-- strata:foreign-keys check`, the default, checks them before commit).
/// - `-- strata:lock-timeout DURATION`, `-- strata:statement-timeout DURATION`: PostgreSQL
///   `lock_timeout` and `statement_timeout` for the migration, as `5s`, `500ms`, `2min`, `1h`,
///   `1d` or a number of milliseconds.
/// - `-- strata:lint-ignore CODE`: read by lint; allowed anywhere, ignored here.
///
/// Directives are `--` comments whose text starts with `strata:`. Only those before the first
/// statement count; any other `strata:` directive after it is an error, as is an unknown
/// directive or a malformed argument. Directives inside `/* … */` comments are not read.
public struct ScriptDirectives: Sendable, Hashable {
    /// `false` when `-- strata:no-transaction` was given.
    public var transactional: Bool = true
    /// Foreign-key handling.
    public var foreignKeys: ExecutionOptions.ForeignKeys = .checkBeforeCommit
    /// The `-- strata:lock-timeout` value as written (for example `"5s"`), if given.
    public var lockTimeout: String?
    /// The `-- strata:statement-timeout` value as written (for example `"30s"`), if given.
    public var statementTimeout: String?

    /// No directives.
    public init() {}

    /// The hint given with every directive error.
    static let knownDirectivesHint = "known directives: strata:no-transaction, strata:foreign-keys immediate|check, "
        + "strata:lint-ignore CODE, strata:lock-timeout DURATION, strata:statement-timeout DURATION"

    /// Reads the directives of a script.
    ///
    /// - Throws: ``StrataError/Code/invalidFile`` with the directive's file, line and column for
    ///   an unknown directive, a malformed argument, or a directive after the first statement.
    public static func parse(_ script: MigrationScript) throws(StrataError) -> ScriptDirectives {
        // A directive is a comment starting `strata:`; most scripts have none, and need no lexing.
        guard ByteSearch.contains(script.sql, "strata:") else { return ScriptDirectives() }
        var sql = script.sql
        let found: [Found] = sql.withUTF8 { buffer in
            let lexer = SQLLexer(buffer, dialect: .generic)
            var found: [Found] = []
            var seenStatement = false
            var i = 0
            while i < lexer.count {
                let token = lexer.token(at: i)
                switch token.kind {
                case .whitespace:
                    break
                case .comment:
                    if buffer[i + 1] == UInt8(ascii: "-"), let directive = directive(in: buffer, from: i + 2, to: token.end) {
                        var directive = directive
                        directive.afterFirstStatement = seenStatement
                        found.append(directive)
                    }
                default:
                    seenStatement = true
                }
                i = token.end
            }
            return found
        }

        var result = ScriptDirectives()
        for directive in found {
            let location = script.location(ofUTF8Offset: directive.offset)
            if directive.name == "lint-ignore" { continue }
            switch directive.name {
            case "no-transaction", "foreign-keys", "lock-timeout", "statement-timeout":
                if directive.afterFirstStatement {
                    throw StrataError(
                        .invalidFile, "directive 'strata:\(directive.name)' must come before the first statement",
                        location: location, hint: "move it to the comment lines at the top of the script")
                }
            default:
                throw StrataError(.invalidFile, "unknown directive 'strata:\(directive.name)'",
                                  location: location, hint: knownDirectivesHint)
            }
            func argumentError(_ message: String) -> StrataError {
                let offset = directive.arguments.first?.offset ?? directive.nameOffset
                return StrataError(.invalidFile, message, location: script.location(ofUTF8Offset: offset),
                                   hint: knownDirectivesHint)
            }
            let values = directive.arguments.map(\.text)
            switch directive.name {
            case "no-transaction":
                guard values.isEmpty else {
                    throw argumentError("directive 'strata:no-transaction' takes no argument, found '\(values.joined(separator: " "))'")
                }
                result.transactional = false
            case "foreign-keys":
                switch values {
                case ["immediate"]: result.foreignKeys = .immediate
                case ["check"]: result.foreignKeys = .checkBeforeCommit
                case []: throw argumentError("directive 'strata:foreign-keys' needs an argument: immediate or check")
                default:
                    throw argumentError("invalid argument '\(values.joined(separator: " "))' for 'strata:foreign-keys'; expected immediate or check")
                }
            default: // lock-timeout, statement-timeout
                guard values.count == 1, isDuration(values[0]) else {
                    let found = values.isEmpty ? "none" : "'\(values.joined(separator: " "))'"
                    throw argumentError("directive 'strata:\(directive.name)' needs one duration such as 5s, 500ms or 2min; found \(found)")
                }
                if directive.name == "lock-timeout" {
                    result.lockTimeout = values[0]
                } else {
                    result.statementTimeout = values[0]
                }
            }
        }
        return result
    }

    /// A directive as found in a comment, with byte offsets into the script.
    private struct Found {
        /// The directive's name, for example `foreign-keys`.
        var name: String
        /// Where `strata:` begins.
        var offset: Int
        /// Where the name begins.
        var nameOffset: Int
        var arguments: [(text: String, offset: Int)]
        var afterFirstStatement = false
    }

    /// The directive in the comment text `from..<to` (after `--`), if it starts with `strata:`.
    private static func directive(in buffer: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Found? {
        var i = from
        while i < to, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
        let prefix: [UInt8] = Array("strata:".utf8)
        guard to - i >= prefix.count else { return nil }
        for k in 0..<prefix.count where buffer[i + k] != prefix[k] { return nil }
        let nameOffset = i + prefix.count
        var words: [(text: String, offset: Int)] = []
        var j = nameOffset
        while j < to {
            while j < to, SQLLexer.isSpace(buffer[j]) { j += 1 }
            guard j < to else { break }
            let start = j
            while j < to, !SQLLexer.isSpace(buffer[j]) { j += 1 }
            words.append((String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<j]), as: UTF8.self), start))
        }
        // `-- strata:` followed by a space: the name is empty.
        if words.first?.offset != nameOffset { words.insert(("", nameOffset), at: 0) }
        return Found(name: words[0].text, offset: i, nameOffset: nameOffset, arguments: Array(words.dropFirst()))
    }

    /// Whether `text` is a PostgreSQL-style duration: digits with an optional unit (`ms`, `s`,
    /// `min`, `h`, `d`; none means milliseconds), as `lock_timeout` and `statement_timeout` take it.
    ///
    /// ```swift
    /// ScriptDirectives.isDuration("5s")    // true
    /// ScriptDirectives.isDuration("5 sec") // false
    /// ```
    public static func isDuration(_ text: String) -> Bool {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return false }
        return ["", "ms", "s", "min", "h", "d"].contains(String(text.dropFirst(digits.count)))
    }
}
