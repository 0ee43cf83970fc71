/// The defaults of the optional safety-net requirements, so that a driver compiles with only the
/// core requirements: no lock, no backup, no integrity check, no Swift migrations.
extension DatabaseDriver {
    /// `false`: the driver runs SQL scripts only.
    public var supportsSwiftMigrations: Bool { false }

    /// `false`: the ``Migrator`` shields each unit from the run's cancellation with a task of its own.
    public var executesSQLUnitsRegardlessOfCancellation: Bool { false }

    /// `nil`: steps run on Swift's global pool.
    public var preferredTaskExecutor: (any TaskExecutor)? { nil }

    /// Runs `body` without a lock.
    public func withRunnerLock<T: Sendable>(timeout: Double, onEvent: @escaping @Sendable (RunEvent) -> Void,
                                            _ body: () async throws -> T) async throws -> T {
        try await body()
    }

    /// No backup: `nil`.
    public func backUp(reason: String, currentVersion: String?, settings: BackupSettings) async throws -> String? {
        nil
    }

    /// No check: `["ok"]`.
    public func quickCheck() async throws -> [String] { ["ok"] }
}
