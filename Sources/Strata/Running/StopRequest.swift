import Foundation

/// A request to stop a run cleanly between two migrations: the migration in progress finishes
/// (commits, or fails and is rolled back) and the next one does not start.
///
/// The `strata` command line sets one on its first SIGINT or SIGTERM. A library caller binds one
/// to the task that runs the migrations and calls ``request(_:cause:)`` from anywhere, for
/// example a shutdown hook:
///
/// ```swift
/// let stop = StopRequest()
/// let report = try await StopRequest.$current.withValue(stop) {
///     try await migrator.run(.up(target: nil, allowOutOfOrder: false))
/// }
/// // elsewhere: stop.request(.interrupted, cause: "the app is shutting down")
/// ```
///
/// Cancelling the task instead also stops the run before the next migration, but without an
/// error: the report comes back with ``RunReport/cancelled`` set (see ``Migrator/execute(_:onEvent:)``).
public final class StopRequest: @unchecked Sendable {
    /// The stop request of the current task, if one was bound with `$current.withValue(_:)`.
    @TaskLocal public static var current: StopRequest?

    private let lock = NSLock()
    private var requested: (code: StrataError.Code, cause: String)?

    /// Creates a request that has not been made yet.
    public init() {}

    /// Asks the run to stop before its next migration. The first request wins; later ones are ignored.
    /// - Parameters:
    ///   - code: The code of the error the run stops with: ``StrataError/Code/interrupted`` (exit 130)
    ///     or ``StrataError/Code/terminated`` (exit 143).
    ///   - cause: What asked for the stop, for the message: `SIGINT`, `the app is shutting down`.
    public func request(_ code: StrataError.Code, cause: String) {
        lock.withLock { if requested == nil { requested = (code, cause) } }
    }

    /// Whether a stop was requested.
    public var isRequested: Bool { lock.withLock { requested != nil } }

    /// Throws when a stop was requested on the current task's ``current`` request.
    /// - Parameter situation: Where the run is, for the message: `before applying 003 (2 of 5 steps done)`.
    public static func checkRequested(_ situation: @autoclosure () -> String) throws(StrataError) {
        guard let request = current, let (code, cause) = request.lock.withLock({ request.requested }) else { return }
        throw StrataError(code, "stopped by \(cause) \(situation())",
                          hint: "the migrations that finished are recorded; run the command again to go on")
    }

    /// The check before a step of a plan: throws when a stop was requested, with a message like
    /// `stopped by SIGTERM before applying 003 (2 of 5 steps done)`.
    public static func checkpoint(before step: PlanStep, done: Int, total: Int) throws(StrataError) {
        try checkRequested("before \(step.direction == .up ? "applying" : "rolling back") \(step.version) (\(done) of \(total) step\(total == 1 ? "" : "s") done)")
    }
}
