import Foundation
import Strata

/// The safety net of a run on PostgreSQL (SPEC §5): a session-level advisory lock held for the
/// whole run, and a `pg_dump -Fc` archive before the first change.
extension PostgresDriver {
    /// Runs `body` holding the advisory lock of this database's schema and history table (see
    /// ``PostgresAdvisoryLock``), on a connection of its own. Another runner waits up to
    /// `timeout` seconds, reporting ``RunEvent/waitingForLock(holder:)``, then fails with
    /// `.lockTimeout` (exit 4) naming the holder.
    public func withRunnerLock<T: Sendable>(timeout: Double, onEvent: @escaping @Sendable (RunEvent) -> Void,
                                            _ body: () async throws -> T) async throws -> T {
        try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: historyTable, timeout: timeout,
                                                onWait: { holder in onEvent(.waitingForLock(holder: holder)) }, body)
    }

    /// A `pg_dump -Fc` archive in `settings.directory` (default `backups` in the working
    /// directory), the newest `settings.keep` kept; `nil` when `pg_dump` is not on the `PATH`
    /// (see ``PostgresBackups/isAvailable``: the command line warns before the run).
    public func backUp(reason: String, currentVersion: String?, settings backup: BackupSettings) async throws -> String? {
        let backups = PostgresBackups(settings: settings, directory: backup.directory, keep: backup.keep,
                                      searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        guard backups.isAvailable else { return nil }
        return try backups.create(label: currentVersion, reason: reason).path
    }
}
