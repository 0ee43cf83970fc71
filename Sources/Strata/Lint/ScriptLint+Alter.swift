/// Checks of `ALTER TABLE`, action by action.
extension ScriptLint {
    /// `ALTER TABLE [IF EXISTS] [ONLY] name action[, action …]`.
    mutating func checkAlterTable() {
        let nameAt = tokens.skipping([["IF", "EXISTS"], ["ONLY"]], at: 2)
        guard let (table, next) = tokens.qualifiedName(at: nameAt) else { return }
        let actions = tokens.commaSeparated(from: next, to: tokens.end)
        if engine == .sqlite, actions.count > 1 {
            report(.sqliteUnsupportedAlter, at: actions[1].lowerBound,
                   "SQLite's ALTER TABLE takes one action; \(actions.count) are given")
        }
        checkLockTimeout(table: table, at: 0, what: "ALTER TABLE")
        for action in actions {
            guard let verb = tokens[action.lowerBound] else { continue }
            switch verb.upper {
            case "ADD": alterAdd(table, action)
            case "DROP": alterDrop(table, action)
            case "ALTER": alterColumn(table, action)
            case "RENAME": alterRename(table, action)
            default:
                if engine == .sqlite {
                    report(.sqliteUnsupportedAlter, at: action.lowerBound,
                           "ALTER TABLE \(table) \(verb.upper) …: SQLite has no such ALTER TABLE action")
                }
            }
        }
    }

    /// The keyword after an action's verb, skipping `COLUMN` and `IF [NOT] EXISTS`.
    private func afterVerb(_ action: Range<Int>) -> Int {
        tokens.skipping([["COLUMN"], ["IF", "NOT", "EXISTS"], ["IF", "EXISTS"]], at: action.lowerBound + 1)
    }

    /// Keywords that start a table constraint (not a column) after `ADD` or `DROP`.
    private static let constraintWords: Set<String> = ["CONSTRAINT", "CHECK", "FOREIGN", "PRIMARY", "UNIQUE", "EXCLUDE",
                                                       "INDEX", "KEY", "FULLTEXT", "SPATIAL"]

    private mutating func alterAdd(_ table: String, _ action: Range<Int>) {
        let i = afterVerb(action)
        guard let word = tokens[i] else { return }
        let explicitColumn = tokens[action.lowerBound + 1]?.is("COLUMN") == true
        if !explicitColumn, word.kind == .word, Self.constraintWords.contains(word.upper) {
            addConstraint(table, from: i, to: action.upperBound)
            return
        }
        addColumn(table, nameAt: i, to: action.upperBound)
    }

    private mutating func addConstraint(_ table: String, from i: Int, to end: Int) {
        if engine == .sqlite {
            report(.sqliteUnsupportedAlter, at: i, "ALTER TABLE \(table) ADD \(tokens[i]!.upper) …: SQLite cannot add a constraint to an existing table")
            return
        }
        guard checksBehaviour, state.isExisting(table) else { return }
        let kindAt = tokens[i]!.is("CONSTRAINT") ? i + 2 : i
        guard let kind = tokens[kindAt]?.upper else { return }
        if tokens.find(["NOT", "VALID"], from: i, to: end) != nil { return }
        switch kind {
        case "CHECK", "FOREIGN":
            report(.pgConstraintWithoutNotValid, at: i,
                   "ADD \(kind == "CHECK" ? "CHECK" : "FOREIGN KEY") constraint on existing table \(table) without NOT VALID checks every row under a lock that blocks writes")
        case "UNIQUE", "PRIMARY", "EXCLUDE":
            if tokens.find(["USING", "INDEX"], from: i, to: end) != nil { return }
            report(.pgConstraintWithoutNotValid, at: i,
                   "ADD \(kind == "PRIMARY" ? "PRIMARY KEY" : kind) on existing table \(table) builds its index while blocking writes",
                   hint: "CREATE UNIQUE INDEX CONCURRENTLY first (in a `-- strata:no-transaction` migration), then ADD CONSTRAINT … USING INDEX")
        default:
            break
        }
    }

    private mutating func addColumn(_ table: String, nameAt i: Int, to end: Int) {
        guard let column = tokens[i]?.name else { return }
        let notNull = tokens.find(["NOT", "NULL"], from: i + 1, to: end, topLevel: true)
        let defaultAt = tokens.find(["DEFAULT"], from: i + 1, to: end, topLevel: true)
        let defaultValue = defaultAt.flatMap { tokens[$0 + 1] }
        let defaultIsNull = defaultValue?.is("NULL") == true
        switch engine {
        case .sqlite:
            for (words, what) in [(["PRIMARY", "KEY"], "PRIMARY KEY"), (["UNIQUE"], "UNIQUE")] {
                if let at = tokens.find(words, from: i + 1, to: end, topLevel: true) {
                    report(.sqliteUnsupportedAlter, at: at, "SQLite cannot add a \(what) column with ALTER TABLE (\(table).\(column))")
                }
            }
            guard checksBehaviour, state.isExisting(table) else { return }
            if let notNull, defaultAt == nil || defaultIsNull {
                report(.sqliteNotNullWithoutDefault, at: notNull,
                       "ADD COLUMN \(column) NOT NULL without a default fails on \(table) once it has rows")
            }
            if let defaultAt, let value = defaultValue, !Self.isSQLiteConstant(value, next: tokens[defaultAt + 2]) {
                report(.sqliteNonConstantDefault, at: defaultAt,
                       "ADD COLUMN \(column) DEFAULT \(value.text == "(" ? "(…)" : value.text) is not a constant; it fails on \(table) once it has rows")
            }
        case .postgres:
            guard checksBehaviour, state.isExisting(table) else { return }
            if let rewrite = postgresRewriteReason(from: i + 1, to: end, defaultAt: defaultAt) {
                report(.pgVolatileDefault, at: defaultAt ?? i + 1,
                       "ADD COLUMN \(column) with \(rewrite) rewrites all of \(table) under an ACCESS EXCLUSIVE lock")
            }
        }
    }

    /// Whether a SQLite default starting with `value` is constant: a literal, signed number,
    /// NULL, TRUE/FALSE, or a blob `X'…'`. `CURRENT_*` and `( … )` are not.
    static func isSQLiteConstant(_ value: StatementTokens.Token, next: StatementTokens.Token?) -> Bool {
        switch value.kind {
        case .string: return true
        case .punctuation:
            return (value.text == "-" || value.text == "+") && next.map { $0.kind == .word && $0.text.first!.isNumber } == true
        case .word:
            if value.text.first!.isNumber { return true }
            return ["NULL", "TRUE", "FALSE", "X"].contains(value.upper)
        case .identifier: return true // a double-quoted string read as a literal
        case .semicolon: return true
        }
    }

    /// Why adding this PostgreSQL column rewrites the table, or `nil`.
    private func postgresRewriteReason(from start: Int, to end: Int, defaultAt: Int?) -> String? {
        if let type = tokens[start], ["SERIAL", "BIGSERIAL", "SMALLSERIAL", "SERIAL4", "SERIAL8", "SERIAL2"].contains(type.upper) {
            return "type \(type.text) (a nextval() default)"
        }
        if tokens.find(["GENERATED"], from: start, to: end) != nil,
           tokens.find(["STORED"], from: start, to: end) != nil || tokens.find(["IDENTITY"], from: start, to: end) != nil {
            return "a generated value"
        }
        guard let defaultAt else { return nil }
        let volatile: Set<String> = ["random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",
                                     "clock_timestamp", "timeofday", "nextval", "txid_current", "setseed"]
        var k = defaultAt + 1
        var depth = 0
        while k < end {
            let t = tokens.tokens[k]
            if t.isPunctuation("(") { depth += 1 } else if t.isPunctuation(")") { depth -= 1 }
            if depth == 0, t.kind == .word, ["NOT", "NULL", "CHECK", "REFERENCES", "CONSTRAINT", "UNIQUE", "PRIMARY", "COLLATE"].contains(t.upper), k > defaultAt + 1 {
                break
            }
            if t.kind == .word, volatile.contains(t.name), tokens[k + 1]?.isPunctuation("(") == true {
                return "the volatile default \(t.text)()"
            }
            k += 1
        }
        return nil
    }

    private mutating func alterDrop(_ table: String, _ action: Range<Int>) {
        let explicitColumn = tokens[action.lowerBound + 1]?.is("COLUMN") == true
        let i = afterVerb(action)
        guard let word = tokens[i] else { return }
        if !explicitColumn, word.kind == .word, Self.constraintWords.contains(word.upper) || word.is("DEFAULT") {
            if engine == .sqlite {
                report(.sqliteUnsupportedAlter, at: i, "ALTER TABLE \(table) DROP \(word.upper) …: SQLite cannot drop a constraint or index this way")
            }
            return
        }
        let column = word.name
        if engine == .sqlite, let target = sqliteVersion, target.lexicographicallyPrecedes([3, 35, 0]) {
            report(.sqliteDropColumnVersion, at: action.lowerBound,
                   "ALTER TABLE \(table) DROP COLUMN \(column) needs SQLite 3.35.0; the target is \(target.map(String.init).joined(separator: "."))")
        }
        if checksBehaviour, state.isExisting(table) {
            report(.dropColumn, at: action.lowerBound, "DROP COLUMN \(table).\(column) deletes the column's values")
        }
    }

    private mutating func alterColumn(_ table: String, _ action: Range<Int>) {
        let columnAt = tokens.skipping([["COLUMN"]], at: action.lowerBound + 1)
        let column = tokens[columnAt]?.name ?? "?"
        if engine == .sqlite {
            report(.sqliteUnsupportedAlter, at: action.lowerBound,
                   "ALTER TABLE \(table) ALTER COLUMN \(column): SQLite cannot change a column; rebuild the table")
            return
        }
        guard checksBehaviour, state.isExisting(table) else { return }
        let rest = columnAt + 1
        if tokens.matches(["TYPE"], at: rest) || tokens.matches(["SET", "DATA", "TYPE"], at: rest) {
            report(.pgColumnTypeChange, at: action.lowerBound, "changing the type of \(table).\(column) rewrites \(table) under an ACCESS EXCLUSIVE lock")
        } else if tokens.matches(["SET", "NOT", "NULL"], at: rest) {
            report(.pgSetNotNull, at: action.lowerBound, "SET NOT NULL on \(table).\(column) scans all of \(table) under an ACCESS EXCLUSIVE lock")
        }
    }

    private mutating func alterRename(_ table: String, _ action: Range<Int>) {
        let i = action.lowerBound + 1
        if tokens[i]?.is("TO") == true {
            guard let new = tokens.qualifiedName(at: i + 1)?.name else { return }
            if engine == .postgres, checksBehaviour, state.isExisting(table) {
                report(.pgRename, at: action.lowerBound, "renaming table \(table) to \(new) breaks queries that still use \(table)")
            }
            state.renamed(table, to: new)
            return
        }
        if tokens[i]?.is("CONSTRAINT") == true { return }
        let columnAt = tokens.skipping([["COLUMN"]], at: i)
        guard let column = tokens[columnAt]?.name, tokens[columnAt + 1]?.is("TO") == true else { return }
        let new = tokens[columnAt + 2]?.name ?? "?"
        if engine == .postgres, checksBehaviour, state.isExisting(table) {
            report(.pgRename, at: action.lowerBound, "renaming column \(table).\(column) to \(new) breaks queries that still use \(column)")
        }
    }
}
