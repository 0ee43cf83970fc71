/// What happens during a run, in order. The command line renders these as text or JSON; apps can
/// show progress with them.
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
}
