/// What happens during a run, in order. The command line renders these as text or JSON; apps can
/// show progress with them.
///
/// A run that changes something reports, in this order: ``waitingForLock(holder:)`` (only while
/// another runner holds the lock), ``warning(_:)`` for a stale lock taken over, ``planned(_:)``,
/// ``warning(_:)`` for each of the plan's warnings, ``backedUp(path:)``, then per step
/// ``stepStarted(_:index:total:)`` and ``stepFinished(_:index:total:executionTimeMs:)`` (or
/// ``stepFailed(_:_:)``, which ends the run), and ``cancelled(remaining:)`` when the task was
/// cancelled between steps. A run with nothing to do reports only ``planned(_:)`` and warnings.
///
/// ```swift
/// let report = try await migrator.migrate { event in
///     if case let .stepFinished(step, index, total, ms) = event {
///         logger.info("migrated \(index)/\(total): \(step.version) in \(ms) ms")
///     }
/// }
/// ```
///
/// The cases are stable: new kinds of events may be added in later versions, so switch over them
/// with a `default:` branch if you do not need every one.
public enum RunEvent: Sendable {
    /// The plan is ready; nothing has run yet.
    case planned(Plan)
    /// A step is about to run (`index` counts from 1).
    case stepStarted(PlanStep, index: Int, total: Int)
    /// A step committed.
    case stepFinished(PlanStep, index: Int, total: Int, executionTimeMs: Int)
    /// A step failed and was rolled back (when it ran in a transaction); the run stops.
    case stepFailed(PlanStep, StrataError)
    /// Something worth telling that does not stop the run.
    case warning(String)
    /// Another runner holds the runner lock; the run waits for it (reported again when the holder
    /// changes). `holder` says who, for example `pid 4242 on host build-7 since 2026-11-21T10:40:00.123Z`.
    case waitingForLock(holder: String)
    /// A backup of the database was taken before the first change; `path` is where it is.
    case backedUp(path: String)
    /// The task was cancelled: the step that was running finished, and `remaining` steps of the
    /// plan were not run. The run ends with a report (``RunReport/cancelled``).
    case cancelled(remaining: Int)
}
