/// A throwaway database for `strata rehearse` and `strata diff`: a copy of a real database, or an
/// empty one on the same engine. Discard it when done; the real database is never touched.
public struct ScratchDatabase: Sendable {
    /// The open connection to the scratch database.
    public let driver: any DatabaseDriver
    /// Where it lives, for messages (a temporary file, a database name).
    public let location: String
    /// Whether it holds a copy of the real database's contents (schema and history); `false`
    /// for an empty one, also when a copy was asked for but could not be made (PostgreSQL: other
    /// sessions were connected), so the caller replays the applied migrations instead.
    public let copiedContents: Bool
    private let cleanup: @Sendable () async -> Void

    /// Creates a scratch database; `cleanup` closes and deletes it.
    public init(driver: any DatabaseDriver, location: String, copiedContents: Bool,
                cleanup: @escaping @Sendable () async -> Void) {
        self.driver = driver
        self.location = location
        self.copiedContents = copiedContents
        self.cleanup = cleanup
    }

    /// Closes and deletes the scratch database.
    public func discard() async {
        await cleanup()
    }
}
