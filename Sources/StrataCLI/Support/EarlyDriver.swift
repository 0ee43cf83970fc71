import Strata

/// A database being opened while a command reads its migration files (see
/// ``CommandContext/openEarly()``).
struct EarlyDriver: Sendable {
    /// Opens the database; its error is the one opening it later would have thrown.
    let task: Task<(any DatabaseDriver)?, any Error>

    /// The opened database (`nil`: a read-only command found no SQLite file).
    func driver() async throws -> (any DatabaseDriver)? {
        try await task.value
    }

    /// Closes what was opened, if anything was.
    func close() async {
        if let driver = try? await task.value { await driver.close() }
    }
}
