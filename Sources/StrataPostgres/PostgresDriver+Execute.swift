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
        if let code = unit.code { return try await executeCode(unit, code) }
        try await prepareHistory(force: false)
        let (connection, sql) = try await session.open()
        let runner = PostgresScriptRunner(connection: connection, logger: logger)
        let clock = ContinuousClock()
        let timeouts = Self.timeouts(unit.options)

        if unit.options.transactional {
            return try await transactionalUnit(unit, connection: connection, sql: sql) {
                try await runner.run(unit.script, policy: .absorb)
            }
        }

        try await setTimeouts(timeouts, script: unit.script, connection)
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

    /// A migration's own timeouts, as setting names and values.
    static func timeouts(_ options: ExecutionOptions) -> [(String, String)] {
        [("lock_timeout", options.lockTimeout), ("statement_timeout", options.statementTimeout)]
            .compactMap { name, value in value.map { (name, $0) } }
    }

    /// A transactional unit: `BEGIN`, the unit's own timeouts (`SET LOCAL`), `body` (timed: the
    /// script, or a Swift migration's closure), the verify script, the history writes, `COMMIT`;
    /// `ROLLBACK` on any error. Returns the milliseconds `body` took.
    ///
    /// `BEGIN` with the timeouts, and the history writes with `COMMIT`, each go to the server as
    /// one ``PostgresQueryChain`` (each query sent once the one before succeeded).
    func transactionalUnit(_ unit: ExecutionUnit, connection: PostgresConnection, sql: PostgresHistorySQL,
                           _ body: () async throws -> Void) async throws -> Int {
        let timeouts = Self.timeouts(unit.options)
        let opening: [PostgresQuery] = ["BEGIN"] + timeouts.map { name, value -> PostgresQuery in
            "SELECT set_config(\(name), \(value), true)"
        }
        if let failure = await PostgresQueryChain.run(opening, on: connection, logger: logger) {
            guard failure.index > 0 else {
                throw PostgresErrors.databaseError(failure.error, context: "cannot start a transaction")
            }
            await rollback(connection)
            let (name, value) = timeouts[failure.index - 1]
            throw Self.timeoutError(failure.error, name: name, value: value, script: unit.script)
        }
        do {
            let start = ContinuousClock.now
            try await body()
            let elapsed = Self.milliseconds(ContinuousClock.now - start)
            if let verify = unit.verify { try await PostgresScriptRunner(connection: connection, logger: logger).verify(verify) }
            let writes = sql.queries(unit.historyWrites(elapsed))
            let closing = writes + ["COMMIT"]
            if let failure = await PostgresQueryChain.run(closing, on: connection, logger: logger) {
                guard failure.index < writes.count else { throw await commitFailure(failure.error, connection) }
                throw PostgresErrors.databaseError(failure.error, context: "cannot write to \(sql.historyTable)")
            }
            return elapsed
        } catch {
            await rollback(connection)
            throw error
        }
    }

    /// A timeout the server refused, located at the top of the script.
    private static func timeoutError(_ error: any Error, name: String, value: String,
                                     script: MigrationScript) -> StrataError {
        var mapped = PostgresErrors.databaseError(error, context: "cannot set \(name) to '\(value)'")
        mapped.code = .migrationFailed
        mapped.location = script.location(ofUTF8Offset: 0)
        return mapped
    }

    /// Sets timeouts for the session, values bound.
    private func setTimeouts(_ timeouts: [(String, String)], script: MigrationScript,
                             _ connection: PostgresConnection) async throws(StrataError) {
        for (name, value) in timeouts {
            do {
                _ = try await connection.query("SELECT set_config(\(name), \(value), false)", logger: logger).collect()
            } catch {
                throw Self.timeoutError(error, name: name, value: value, script: script)
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
