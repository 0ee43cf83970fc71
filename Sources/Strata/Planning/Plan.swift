/// The ordered steps a request needs, plus warnings. Computed by ``Planner``; executed by ``Migrator``.
public struct Plan: Sendable, Hashable {
    /// The steps, in execution order.
    public var steps: [PlanStep]
    /// Things worth saying that do not stop the plan.
    public var warnings: [String]

    /// Creates a plan.
    public init(steps: [PlanStep] = [], warnings: [String] = []) {
        self.steps = steps
        self.warnings = warnings
    }

    /// Whether there is nothing to do.
    public var isEmpty: Bool { steps.isEmpty }
}
