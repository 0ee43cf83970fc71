import PostgresNIO
import Strata

extension PostgresDriver {
    /// Runs a unit and returns the milliseconds its script took.
    ///
    /// **Transactional units** (the default; PostgreSQL's DDL is transactional):
    /// `BEGIN`; the migration's own `lock_timeout`/`statement_timeout` with `SET LOCAL` (through
    /// `set_config(…, true)`, values bound); every statement of the script; the verify script (any
    /// row fails); the history writes; `COMMIT`. On any error, `ROLLBACK`: the unit leaves no
    /// trace. A script's own balanced `BEGIN … COMMIT` (also `START TRANSACTION`, `END`) is
    /// skipped so its statements commit together with the history row; a nested `BEGIN`, a
    /// `COMMIT` without `BEGIN`, a `ROLLBACK`, or a `BEGIN` never committed is an error with a
    /// hint. `SAVEPOINT`, `RELEASE` and `ROLLBACK TO` are allowed.
    ///
    /// **Non-transactional units** (`-- strata:no-transaction`, goose `NO TRANSACTION`, or a
    /// statement such as `CREATE INDEX CONCURRENTLY` that cannot run in a transaction) run each
    /// statement in autocommit mode, exactly as written; the migration's timeouts are set for the
    /// session first and reset afterwards. A transaction the script leaves open is rolled back
    /// and is an error. The verify script and the history writes then run in one transaction of
    /// their own; when anything fails, the statements that ran stay, and the core records the
    /// version as failed.
    ///
    /// - Throws: ``StrataError`` `.migrationFailed` with the server's message, detail and hint, the
    ///   SQLSTATE as ``StrataError/databaseCode`` and the `file:line:column` of the server's error
    ///   position (else of the failing statement); `.verificationFailed` for verify rows;
    ///   `.database` when the connection fails.
    public func execute(_ unit: ExecutionUnit) async throws -> Int {
        try await prepareHistory(force: false)
        let (connection, sql) = try await session.open()
        let runner = PostgresScriptRunner(connection: connection, logger: logger)
        let clock = ContinuousClock()
        let timeouts = [("lock_timeout", unit.options.lockTimeout), ("statement_timeout", unit.options.statementTimeout)]
            .compactMap { name, value in value.map { (name, $0) } }

        if unit.options.transactional {
            do {
                _ = try await connection.query("BEGIN", logger: logger).collect()
            } catch {
                throw PostgresErrors.databaseError(error, context: "cannot start a transaction")
            }
            do {
                try await setTimeouts(timeouts, local: true, script: unit.script, connection)
                let start = clock.now
                try await runner.run(unit.script, policy: .absorb)
                let elapsed = Self.milliseconds(clock.now - start)
                if let verify = unit.verify { try await runner.verify(verify) }
                try await write(unit.historyWrites(elapsed), sql: sql, connection: connection)
                try await commit(connection)
                return elapsed
            } catch {
                await rollback(connection)
                throw error
            }
        }

        try await setTimeouts(timeouts, local: false, script: unit.script, connection)
        let start = clock.now
        let leftOpen: Bool
        do {
            leftOpen = try await runner.run(unit.script, policy: .passThrough)
        } catch {
            await rollback(connection)
            await resetTimeouts(timeouts, connection)
            throw error
        }
        let elapsed = Self.milliseconds(clock.now - start)
        await resetTimeouts(timeouts, connection)
        if leftOpen {
            await rollback(connection)
            throw StrataError(
                .migrationFailed, "the script left a transaction open; it was rolled back",
                location: unit.script.location(ofUTF8Offset: unit.script.sql.utf8.count),
                hint: "end the script's transaction with COMMIT")
        }
        try await transaction(connection) {
            if let verify = unit.verify { try await runner.verify(verify) }
            try await self.write(unit.historyWrites(elapsed), sql: sql, connection: connection)
        }
        return elapsed
    }

    /// Sets timeouts for the transaction (`local`) or the session, values bound.
    private func setTimeouts(_ timeouts: [(String, String)], local: Bool, script: MigrationScript,
                             _ connection: PostgresConnection) async throws(StrataError) {
        for (name, value) in timeouts {
            do {
                _ = try await connection.query("SELECT set_config(\(name), \(value), \(local))", logger: logger).collect()
            } catch {
                var mapped = PostgresErrors.databaseError(error, context: "cannot set \(name) to '\(value)'")
                mapped.code = .migrationFailed
                mapped.location = script.location(ofUTF8Offset: 0)
                throw mapped
            }
        }
    }

    /// Puts session timeouts back to the run's values (`RESET` returns to the startup parameters).
    private func resetTimeouts(_ timeouts: [(String, String)], _ connection: PostgresConnection) async {
        for (name, _) in timeouts {
            _ = try? await connection.query(PostgresQuery(unsafeSQL: "RESET \(name)"), logger: logger).collect()
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
