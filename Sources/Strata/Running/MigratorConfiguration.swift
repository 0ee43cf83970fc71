extension Migrator {
    /// How a ``Migrator`` runs: lock, backups, checks, who it records.
    ///
    /// ```swift
    /// var configuration = Migrator.Configuration()
    /// configuration.lockTimeout = 30
    /// configuration.backups.keep = 5
    /// let migrator = Migrator(driver: driver, configuration: configuration)
    /// ```
    public struct Configuration: Sendable {
        /// The history table's name, used in messages (the driver owns the table itself).
        public var historyTable: String
        /// Who runs the migrations, recorded in the history (default: this process's OS user and host).
        public var identity: RunIdentity
        /// Seconds to wait for the runner lock while another runner holds it (default 60); then
        /// the run fails with ``StrataError/Code/lockTimeout``.
        public var lockTimeout: Double
        /// Backups before a change (default: on, `backups/` beside the database, keep 10).
        public var backups: BackupSettings
        /// Whether to run the driver's ``DatabaseDriver/quickCheck()`` after a run that changed the
        /// database (default `true`); a problem fails the run with
        /// ``StrataError/Code/verificationFailed``.
        public var checkIntegrityAfterRun: Bool
        /// Whether ``Migrator/migrate(to:onEvent:)`` applies pending migrations older than the
        /// newest applied one (default `false`: that is a validation error, exit 3).
        public var allowOutOfOrder: Bool

        /// Creates a configuration; every parameter has the default described on its property.
        public init(historyTable: String = StrataInfo.defaultHistoryTable, identity: RunIdentity = .current(),
                    lockTimeout: Double = 60, backups: BackupSettings = BackupSettings(),
                    checkIntegrityAfterRun: Bool = true, allowOutOfOrder: Bool = false) {
            self.historyTable = historyTable
            self.identity = identity
            self.lockTimeout = lockTimeout
            self.backups = backups
            self.checkIntegrityAfterRun = checkIntegrityAfterRun
            self.allowOutOfOrder = allowOutOfOrder
        }
    }
}
