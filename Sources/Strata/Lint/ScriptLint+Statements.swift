/// Checks of `CREATE`, `DROP`, `INSERT … SELECT`, `CONCURRENTLY` and lock timeouts.
extension ScriptLint {
    /// `CREATE TABLE`, `CREATE INDEX`, `CREATE TRIGGER`.
    mutating func checkCreate() {
        var i = 1
        // CREATE [OR REPLACE] [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] [UNIQUE] …
        i = tokens.skipping([["OR", "REPLACE"], ["GLOBAL"], ["LOCAL"], ["TEMP"], ["TEMPORARY"], ["UNLOGGED"], ["UNIQUE"]], at: i)
        if tokens[i]?.is("TABLE") == true {
            createTable(nameAt: tokens.skipping([["IF", "NOT", "EXISTS"]], at: i + 1))
        } else if tokens[i]?.is("INDEX") == true {
            createIndex(after: i + 1)
        } else if tokens[i]?.is("TRIGGER") == true || tokens.matches(["CONSTRAINT", "TRIGGER"], at: i) {
            if let on = tokens.find(["ON"], from: i + 1, topLevel: true), let table = tokens.qualifiedName(at: on + 1)?.name {
                checkLockTimeout(table: table, at: 0, what: "CREATE TRIGGER")
            }
        }
    }

    private mutating func createTable(nameAt i: Int) {
        guard let table = tokens.qualifiedName(at: i)?.name else { return }
        var parents: [(parent: String, cascade: Bool)] = []
        var k = i
        while let r = tokens.find(["REFERENCES"], from: k) {
            guard let parent = tokens.qualifiedName(at: r + 1) else { break }
            let next = tokens.find(["REFERENCES"], from: parent.next) ?? tokens.count
            let cascade = tokens.find(["ON", "DELETE", "CASCADE"], from: parent.next, to: next) != nil
            parents.append((parent.name, cascade))
            k = parent.next
        }
        state.created(table, references: parents)
    }

    private mutating func createIndex(after start: Int) {
        let concurrently = tokens[start]?.is("CONCURRENTLY") == true
        guard let on = tokens.find(["ON"], from: start, topLevel: true),
              let table = tokens.qualifiedName(at: tokens.skipping([["ONLY"]], at: on + 1))?.name else { return }
        if concurrently {
            checkConcurrently(at: start, what: "CREATE INDEX CONCURRENTLY")
            return
        }
        guard engine == .postgres, checksBehaviour, state.isExisting(table) else { return }
        report(.pgIndexWithoutConcurrently, at: 0,
               "CREATE INDEX on existing table \(table) without CONCURRENTLY blocks writes to it while the index builds")
        checkLockTimeout(table: table, at: 0, what: "CREATE INDEX")
    }

    /// `DROP TABLE`, `DROP INDEX CONCURRENTLY`.
    mutating func checkDrop() {
        if tokens[1]?.is("INDEX") == true, tokens[2]?.is("CONCURRENTLY") == true {
            checkConcurrently(at: 2, what: "DROP INDEX CONCURRENTLY")
            return
        }
        guard tokens[1]?.is("TABLE") == true else { return }
        let start = tokens.skipping([["IF", "EXISTS"]], at: 2)
        var tables: [(name: String, index: Int)] = []
        for part in tokens.commaSeparated(from: start, to: tokens.end) {
            if let name = tokens.qualifiedName(at: part.lowerBound)?.name { tables.append((name, part.lowerBound)) }
        }
        let dropped = Set(tables.map(\.name))
        for (table, index) in tables {
            if checksBehaviour {
                if state.isExisting(table) && !copiedTables.contains(table) {
                    report(.dropTable, at: index, "DROP TABLE \(table) deletes the table and every row in it")
                }
                let children = state.children(of: table).filter { !dropped.contains($0.child) }
                if engine == .sqlite, !children.isEmpty {
                    reportParentDrop(table, children: children, at: index)
                }
                checkLockTimeout(table: table, at: 0, what: "DROP TABLE")
            }
            state.dropped(table)
        }
    }

    private mutating func reportParentDrop(_ table: String, children: [LintSchemaState.Reference], at index: Int) {
        let names = children.map(\.child).joined(separator: ", ")
        let cascading = children.filter(\.onDeleteCascade).map(\.child)
        if directives.foreignKeys == .immediate, !cascading.isEmpty {
            report(.sqliteParentRebuild, at: index,
                   "DROP TABLE \(table) with `-- strata:foreign-keys immediate` deletes every row of \(cascading.joined(separator: ", ")) (ON DELETE CASCADE)",
                   severity: .error,
                   hint: "remove `-- strata:foreign-keys immediate`: Strata then turns foreign keys off for the rebuild and checks them before commit")
        } else {
            let detail = cascading.isEmpty ? "" : "; with foreign keys enforced, ON DELETE CASCADE would delete the rows of \(cascading.joined(separator: ", "))"
            report(.sqliteParentRebuild, at: index, "DROP TABLE \(table), which \(names) reference\(children.count == 1 ? "s" : "")\(detail)")
        }
    }

    /// `INSERT INTO t … SELECT … FROM source`: remembers the sources as copied.
    mutating func noteCopies() {
        guard let select = tokens.find(["SELECT"], from: 1) else { return }
        var k = select
        while k < tokens.count {
            if tokens[k]?.is("FROM") == true || tokens[k]?.is("JOIN") == true, let source = tokens.qualifiedName(at: k + 1) {
                copiedTables.insert(source.name)
            }
            k += 1
        }
    }

    /// ``LintRule/pgConcurrentlyInTransaction`` for a `CONCURRENTLY` statement at token `index`.
    mutating func checkConcurrently(at index: Int, what: String) {
        guard engine == .postgres, role != .context else { return }
        if inExplicitTransaction {
            report(.pgConcurrentlyInTransaction, at: index, "\(what) inside the script's own BEGIN … COMMIT fails: it cannot run in a transaction block")
            return
        }
        guard let migration else { return }
        let options = role == .down ? migration.downOptions : migration.options
        let others = statements.count - 1
        if options.transactional, others > 0 {
            report(.pgConcurrentlyInTransaction, at: index,
                   "\(what) cannot run in a transaction, so Strata runs this whole migration outside one: if one of its other \(others) statement\(others == 1 ? "" : "s") fails, the migration is left half applied",
                   severity: .warning)
        }
    }

    /// ``LintRule/pgMissingLockTimeout`` before a statement that locks an existing `table`.
    mutating func checkLockTimeout(table: String, at index: Int, what: String) {
        guard engine == .postgres, checksBehaviour, !lockTimeoutSet, !lockTimeoutReported, state.isExisting(table) else { return }
        lockTimeoutReported = true
        report(.pgMissingLockTimeout, at: index,
               "\(what) locks existing table \(table) without lock_timeout: while it waits for the lock, every query on \(table) queues behind it")
    }
}
