/// A throwaway database for `strata rehearse` and `strata diff`: a copy of a real database, or an
/// empty one on the same engine. Discard it when done; the real database is never touched.
public struct ScratchDatabase: Sendable {
    /// The open connection to the scratch database.
    public let driver: any DatabaseDriver
    /// Where it lives, for messages (a temporary file, a database name).
    public let location: String
    private let cleanup: @Sendable () async -> Void

    /// Creates a scratch database; `cleanup` closes and deletes it.
    public init(driver: any DatabaseDriver, location: String, cleanup: @escaping @Sendable () async -> Void) {
        self.driver = driver
        self.location = location
        self.cleanup = cleanup
    }

    /// Closes and deletes the scratch database.
    public func discard() async {
        await cleanup()
    }
}
