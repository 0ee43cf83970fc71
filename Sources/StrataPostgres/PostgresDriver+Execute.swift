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
            let statements = try PostgresScriptRunner.statementsToSend(unit.script, policy: .absorb).statements
            if let elapsed = try await runOnServer(unit, statements, connection: connection, sql: sql) { return elapsed }
            return try await transactionalUnit(unit, connection: connection, sql: sql) {
                try await runner.run(statements, of: unit.script)
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

    /// Runs a transactional unit as one statement, through ``PostgresScriptFunction``, when it can
    /// (no timeouts of its own, no verify script, at least one statement and every one of them a
    /// statement the function runs, history writes of one row with or without its log entry): `BEGIN`, that statement, `COMMIT`, sent as
    /// one ``PostgresQueryChain``. The transaction stays the client's, as on the
    /// statement-by-statement path: a runner that dies before its `COMMIT` leaves nothing behind.
    ///
    /// Returns the milliseconds the statements took, or `nil` when the unit must run statement by
    /// statement: it cannot use the function, or the statement failed with a server error — rolled
    /// back, and run again statement by statement, which reports the failing statement where it
    /// is. A lost connection, or a statement cancelled by the server's operator, is thrown as it is.
    func runOnServer(_ unit: ExecutionUnit, _ statements: [SQLStatement], connection: PostgresConnection,
                     sql: PostgresHistorySQL) async throws(StrataError) -> Int? {
        guard unit.verify == nil, Self.timeouts(unit.options).isEmpty, !statements.isEmpty,
              PostgresScriptFunction.runsInFunction(statements),
              await prepareScriptFunction(connection, sql: sql) else { return nil }
        let writes = unit.historyWrites(0)
        guard case .upsert(let record) = writes.first else { return nil }
        var entry: LogEntry?
        switch writes.count {
        case 1: break
        case 2:
            guard case .append(let appended) = writes[1] else { return nil }
            entry = appended
        default: return nil
        }
        let chain: [PostgresQuery] = ["BEGIN", sql.runAndRecord(statements.map(\.text), record: record, entry: entry), "COMMIT"]
        switch await PostgresQueryChain.run(chain, on: connection, logger: logger, keepingRowsOf: 1) {
        case .success(let rows):
            await session.countServerRun()
            return Int((try? rows.first?.decode(Int64.self)) ?? 0)
        case .failure(let failure) where failure.index == 0:
            throw PostgresErrors.databaseError(failure.error, context: "cannot start a transaction")
        case .failure(let failure) where failure.index == 2:
            throw await commitFailure(failure.error, connection)
        case .failure(let failure):
            await rollback(connection)
            guard PostgresErrors.isRetriable(failure.error), !connection.isClosed else {
                throw PostgresErrors.statementError(failure.error, code: .migrationFailed, script: unit.script,
                                                    statement: statements[0])
            }
            logger.debug("running \(unit.script.path) in one statement failed; running it statement by statement",
                         metadata: ["error": "\(String(reflecting: failure.error))"])
            await session.setScriptFunction(.unknown)  // a script may have dropped it (`DISCARD TEMP`)
            return nil
        }
    }

    /// Makes sure ``PostgresScriptFunction`` exists on the connection, creating it the first time;
    /// `false` when the session's `statement_timeout` is set, when the server logs statements
    /// (`log_statement` other than `none`: inside the function they would not be logged one by
    /// one), or when the function cannot be created.
    private func prepareScriptFunction(_ connection: PostgresConnection, sql: PostgresHistorySQL) async -> Bool {
        switch await session.scriptFunction {
        case .ready: return true
        case .unavailable: return false
        case .unknown: break
        }
        do {
            let settings = try await connection.query(
                "SELECT current_setting('statement_timeout'), current_setting('log_statement')", logger: logger)
                .collect().first?.decode((String, String).self)
            guard let settings, settings.0 == "0", settings.1 == "none" else {
                await session.setScriptFunction(.unavailable)
                return false
            }
            _ = try await connection.query(PostgresQuery(unsafeSQL: PostgresScriptFunction.createStatement(sql)), logger: logger).collect()
            await session.setScriptFunction(.ready)
            return true
        } catch {
            logger.debug("cannot create \(PostgresScriptFunction.name); migrations run statement by statement",
                         metadata: ["error": "\(String(reflecting: error))"])
            await session.setScriptFunction(.unavailable)
            return false
        }
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
