import Strata
import StrataPostgres
import StrataSQLite

/// The runner lock around the commands that change a database outside the library's run
/// (`restore`, `load`): one runner at a time per database (SPEC §5).
enum RunLock {
    /// Runs `body` holding the database's lock; waits up to `--lock-timeout` (default 60 s),
    /// then fails with exit 4 naming the holder. Released on success, error and cancellation.
    static func with<T: Sendable>(_ context: CommandContext, _ body: () async throws -> T) async throws -> T {
        let timeout = context.lockTimeout
        let console = context.console
        switch context.database.engine {
        case .sqlite:
            return try await SQLiteLockFile.withLock(
                databasePath: context.database.path!, timeout: timeout,
                onWait: { holder in console.note("waiting for the lock held by \(holder) (up to \(Int(timeout)) s)…") },
                onTakeover: { lock in if let notice = lock.staleLockNotice { console.warning(notice) } },
                body)
        case .postgres:
            return try await PostgresAdvisoryLock.withLock(
                settings: try DriverRegistry.postgresSettings(context.database), historyTable: context.historyTable,
                timeout: timeout,
                onWait: { holder in console.note("waiting for the lock held by \(holder) (up to \(Int(timeout)) s)…") },
                body)
        }
    }
}
