import PostgresNIO
import Strata

extension PostgresDriver {
    /// `true`: units with ``ExecutionUnit/code`` run in a transaction with a
    /// ``PostgresMigrationDatabase`` (see ``executeCode(_:_:)``).
    public var supportsSwiftMigrations: Bool { true }

    /// Runs a Swift migration: like a transactional script, with the closure in the script's place.
    ///
    /// `BEGIN`; the migration's own timeouts with `SET LOCAL`; the closure, with a
    /// ``PostgresMigrationDatabase`` on the same connection; the verify script; the history
    /// writes; `COMMIT`. When the closure throws, or anything after it fails: `ROLLBACK`, and the
    /// error (a non-Strata error becomes `.migrationFailed`, located at the registration).
    func executeCode(_ unit: ExecutionUnit, _ code: SwiftMigrationCode.Body) async throws -> Int {
        try await prepareHistory(force: false)
        let (connection, sql) = try await session.open()
        let location = SourceLocation(file: unit.script.path, line: unit.script.firstLine, column: 1)
        let handle = PostgresMigrationDatabase(connection: connection, schema: sql.schema, location: location, logger: logger)
        return try await transactionalUnit(unit, connection: connection, sql: sql) {
            do {
                try await code(handle)
                handle.end()
            } catch {
                handle.end()
                throw Self.codeError(error, at: location)
            }
        }
    }

    /// What a Swift migration threw, as a ``StrataError`` located at its registration.
    static func codeError(_ error: any Error, at location: SourceLocation) -> StrataError {
        if let strata = error as? StrataError { return strata }
        return StrataError(.migrationFailed, "the Swift migration threw: \(error)", location: location,
                           hint: "the migration was rolled back; fix the error and run again")
    }
}
