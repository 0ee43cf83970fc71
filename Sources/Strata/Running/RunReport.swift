/// What a run did.
public struct RunReport: Sendable {
    /// One completed (or, for a dry run, planned) step.
    public struct Step: Sendable, Hashable {
        /// The version as written.
        public var version: String
        /// The description.
        public var description: String
        /// Up or down.
        public var direction: PlanStep.Direction
        /// How long its script took (0 for a dry run).
        public var executionTimeMs: Int
    }

    /// The plan that was executed.
    public var plan: Plan
    /// Steps that completed, in order.
    public var steps: [Step]
    /// Whether nothing was executed because it was a dry run.
    public var dryRun: Bool
    /// The newest version in effect after the run.
    public var currentVersion: String?

    /// Versions applied by the run.
    public var applied: [Step] { steps.filter { $0.direction == .up } }
    /// Versions rolled back by the run.
    public var rolledBack: [Step] { steps.filter { $0.direction == .down } }
}
