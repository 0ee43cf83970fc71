import Foundation
import GRDB
import GRDBSQLite
import Strata

extension SQLiteDriver {
    /// Runs a Swift migration: like a transactional script, with the closure in the script's place.
    ///
    /// A thread of its own enters the database, switches foreign keys off (with
    /// ``ExecutionOptions/ForeignKeys/checkBeforeCommit``), begins the transaction, counts the
    /// foreign-key violations already there, and serves the closure's calls on its
    /// ``SQLiteMigrationDatabase`` in order. When the closure returns: the foreign-key check (new
    /// violations fail the migration), the history writes, `COMMIT`. When it throws, or the
    /// transaction is lost (SQLite rolls back by itself on some errors): `ROLLBACK`.
    func executeCode(_ unit: ExecutionUnit, _ code: SwiftMigrationCode.Body) async throws -> Int {
        if isClosed { throw Self.closedError }
        let mailbox = ConnectionMailbox()
        let location = SourceLocation(file: unit.script.path, line: unit.script.firstLine, column: 1)
        let handle = SQLiteMigrationDatabase(mailbox: mailbox, location: location, busyTimeout: busyTimeout)
        async let served: Int = withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try self.syncWrite { db in try self.serveCode(unit, mailbox, db) })
                } catch {
                    mailbox.close(with: error)
                    continuation.resume(throwing: SQLiteErrors.databaseError(error, path: self.path, busyTimeout: self.busyTimeout))
                }
            }
            thread.name = "strata.sqlite.migration"
            thread.start()
        }
        do {
            try await code(handle)
            mailbox.finish(.success)
        } catch {
            mailbox.finish(.failure(error))
        }
        return try await served
    }

    /// The worker's part, on the connection's thread.
    private func serveCode(_ unit: ExecutionUnit, _ mailbox: ConnectionMailbox, _ db: Database) throws -> Int {
        let connection = try Self.connection(db)
        try prepareHistory(db, force: false)
        defer { db.clearSchemaCache() }
        let foreignKeysWereOn = try ForeignKeys.enabled(connection)
        let deferForeignKeys = unit.options.foreignKeys == .checkBeforeCommit && foreignKeysWereOn
        if deferForeignKeys { try ForeignKeys.set(false, connection) }
        defer {
            if (try? ForeignKeys.enabled(connection)) != foreignKeysWereOn {
                try? ForeignKeys.set(foreignKeysWereOn, connection)
            }
        }
        try begin(db)
        do {
            // Code is opaque: count the violations already there before it runs.
            let baseline = deferForeignKeys ? try ForeignKeys.counts(connection) : [:]
            let clock = ContinuousClock()
            let start = clock.now
            var outcome = ConnectionMailbox.Outcome.success
            let serve = {
                outcome = mailbox.serve(db) { _ in
                    if sqlite3_get_autocommit(connection) != 0 {
                        throw StrataError(.migrationFailed, "the migration's transaction ended before the migration did",
                                          location: SourceLocation(file: unit.script.path, line: unit.script.firstLine, column: 1),
                                          hint: "never COMMIT or ROLLBACK in a Swift migration; SQLite also rolls back "
                                              + "by itself after some errors (disk full, I/O): fix the cause and run again")
                    }
                }
            }
            var touched = TouchedTables()
            if deferForeignKeys && ownsConnection {
                touched = try TouchedTables.recording(connection) { serve() }
            } else {
                serve()
            }
            let elapsed = Self.milliseconds(clock.now - start)
            if case .failure(let error) = outcome {
                throw Self.codeError(error, unit: unit)
            }
            if deferForeignKeys {
                let violations = ownsConnection
                    ? try ForeignKeys.violations(connection, tables: try ForeignKeyGraph.load(connection).tablesToCheck(touched: touched))
                    : try ForeignKeys.violations(connection)
                try ForeignKeys.check(violations, baseline: baseline, script: unit.script, transactional: true)
            }
            do {
                try sql.write(unit.historyWrites(elapsed), db)
            } catch {
                throw SQLiteErrors.databaseError(error, path: path, busyTimeout: busyTimeout,
                                                 context: "cannot write to \(historyTable)")
            }
            try commit(db)
            return elapsed
        } catch {
            Self.rollbackIfActive(connection)
            throw error
        }
    }

    /// What a Swift migration threw, as a ``StrataError`` located at its registration.
    static func codeError(_ error: any Error, unit: ExecutionUnit) -> StrataError {
        if let strata = error as? StrataError { return strata }
        return StrataError(.migrationFailed, "the Swift migration threw: \(error)",
                           location: SourceLocation(file: unit.script.path, line: unit.script.firstLine, column: 1),
                           hint: "the migration was rolled back; fix the error and run again")
    }
}
