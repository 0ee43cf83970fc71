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

        /// Creates a step.
        public init(version: String, description: String, direction: PlanStep.Direction, executionTimeMs: Int) {
            self.version = version
            self.description = description
            self.direction = direction
            self.executionTimeMs = executionTimeMs
        }
    }

    /// The plan that was executed.
    public var plan: Plan
    /// Steps that completed, in order.
    public var steps: [Step]
    /// Whether nothing was executed because it was a dry run.
    public var dryRun: Bool
    /// The newest version in effect after the run.
    public var currentVersion: String?
    /// Where the backup taken before the first change is; `nil` when none was taken.
    public var backup: String?
    /// Whether the task was cancelled and the run stopped after a step, before the plan's end.
    public var cancelled: Bool

    /// Creates a report.
    public init(plan: Plan, steps: [Step], dryRun: Bool, currentVersion: String?, backup: String? = nil,
                cancelled: Bool = false) {
        self.plan = plan
        self.steps = steps
        self.dryRun = dryRun
        self.currentVersion = currentVersion
        self.backup = backup
        self.cancelled = cancelled
    }

    /// Versions applied by the run.
    public var applied: [Step] { steps.filter { $0.direction == .up } }
    /// Versions rolled back by the run.
    public var rolledBack: [Step] { steps.filter { $0.direction == .down } }
    /// Whether the run changed nothing (nothing to do, a dry run, or cancelled before any step).
    public var isEmpty: Bool { dryRun || steps.isEmpty }
}
