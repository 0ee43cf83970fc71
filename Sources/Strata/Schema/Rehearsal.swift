/// `strata rehearse`: on a throwaway copy of a database, apply the pending migrations (with their
/// verification), roll each back newest first and compare the schema with the one before it,
/// then apply them again and compare with the first apply.
///
/// ```swift
/// let scratch = try await driver.makeScratchDatabase(copyingContents: true)
/// let report = try await Rehearsal(migrations: loaded.migrations).run(on: scratch.driver)
/// await scratch.discard()
/// for finding in report.findings { print(finding) }
/// ```
///
/// Rolling back stops at the first migration without a down script (older ones cannot be reached)
/// and at the first down script that fails or leaves a difference; what was rolled back is then
/// applied again. Any finding fails the rehearsal.
public struct Rehearsal: Sendable {
    /// The migrations (the pending ones are rehearsed).
    public let migrations: [Migration]
    /// The history table of the database being rehearsed.
    public let historyTable: String

    /// Creates a rehearsal.
    public init(migrations: [Migration], historyTable: String = StrataInfo.defaultHistoryTable) {
        self.migrations = migrations
        self.historyTable = historyTable
    }

    /// Runs the rehearsal on `driver`, which must be a scratch database: it is written.
    /// - Parameter progress: called with one line per step (`applied 002 add email`).
    /// - Throws: ``StrataError`` when planning fails (validation, unknown state) or the schema
    ///   cannot be read; failing migrations are findings, not errors.
    public func run(on driver: any DatabaseDriver, progress: @Sendable (String) -> Void = { _ in }) async throws -> RehearsalReport {
        let migrator = Migrator(driver: driver, migrations: migrations, historyTable: historyTable)
        let plan = try await migrator.plan(.up(target: nil, allowOutOfOrder: false))
        var report = RehearsalReport()
        var snapshots = [try await driver.schemaSnapshot()]

        // 1. Apply.
        for step in plan.steps {
            if let failure = await execute(step, .apply, migrator) {
                report.findings.append(failure)
                return report
            }
            report.applied.append(step.version)
            progress("applied \(step.version) \(step.description)")
            snapshots.append(try await driver.schemaSnapshot())
        }

        // 2. Roll back, newest first, comparing with the schema before each up script.
        var rolledBack: [Int] = []
        for index in plan.steps.indices.reversed() {
            let step = plan.steps[index]
            guard step.migration?.downScript != nil else {
                report.irreversible = plan.steps[...index].map(\.version)
                break
            }
            let down = try await migrator.plan(.down(.steps(1)))
            guard let downStep = down.steps.first, downStep.version == step.version else { break }
            if let failure = await execute(downStep, .rollBack, migrator) {
                report.findings.append(failure)
                break
            }
            rolledBack.append(index)
            report.rolledBack.append(step.version)
            progress("rolled back \(step.version) \(step.description)")
            let differences = SchemaComparison.differences(from: snapshots[index], to: try await driver.schemaSnapshot())
            if !differences.isEmpty {
                report.findings.append(RehearsalReport.Finding(phase: .rollBack, step: downStep, differences: differences))
                break
            }
        }

        // 3. Apply again, comparing with the first apply.
        for index in rolledBack.reversed() {
            let again = try await migrator.plan(.up(target: nil, allowOutOfOrder: true))
            guard let step = again.steps.first, step.version == plan.steps[index].version else { break }
            if let failure = await execute(step, .reapply, migrator) {
                report.findings.append(failure)
                break
            }
            report.reapplied.append(step.version)
            progress("applied again \(step.version) \(step.description)")
            let differences = SchemaComparison.differences(from: snapshots[index + 1], to: try await driver.schemaSnapshot())
            if !differences.isEmpty {
                report.findings.append(RehearsalReport.Finding(phase: .reapply, step: step, differences: differences))
                break
            }
        }
        return report
    }

    /// Runs one step; a failure becomes a finding.
    private func execute(_ step: PlanStep, _ phase: RehearsalReport.Phase, _ migrator: Migrator) async -> RehearsalReport.Finding? {
        do {
            _ = try await migrator.execute(Plan(steps: [step]))
            return nil
        } catch {
            return RehearsalReport.Finding(phase: phase, step: step, error: StrataError.wrapping(error))
        }
    }
}

/// What `strata rehearse` found.
public struct RehearsalReport: Sendable {
    /// The three passes of a rehearsal.
    public enum Phase: String, Sendable, Hashable {
        /// Applying the pending migrations.
        case apply
        /// Rolling them back, newest first.
        case rollBack = "roll back"
        /// Applying them again.
        case reapply = "apply again"
    }

    /// One problem: a step that failed, or a schema that differs from what it should be.
    public struct Finding: Sendable, CustomStringConvertible {
        /// When it happened.
        public var phase: Phase
        /// The migration's version.
        public var version: String
        /// The migration's description.
        public var migrationDescription: String
        /// The script that ran.
        public var script: String
        /// The schema differences (empty for a failure).
        public var differences: [SchemaDifference]
        /// The error of a step that failed.
        public var error: StrataError?

        init(phase: Phase, step: PlanStep, differences: [SchemaDifference] = [], error: StrataError? = nil) {
            self.phase = phase
            self.version = step.version
            self.migrationDescription = step.description
            self.script = step.script.path
            self.differences = differences
            self.error = error
        }

        /// The first line of the finding, as the command prints it.
        public var summary: String {
            if let error {
                return "\(phase.rawValue) \(version) (\(migrationDescription)) failed: \(error.message)"
            }
            switch phase {
            case .rollBack:
                return "\(script) does not undo migration \(version) (\(migrationDescription)): \(differences.count) difference\(differences.count == 1 ? "" : "s") from the schema before it"
            default:
                return "\(phase.rawValue) \(version) (\(migrationDescription)) gives a different schema than the first apply"
            }
        }

        public var description: String {
            ([summary] + differences.map { "  \($0)" }).joined(separator: "\n")
        }
    }

    /// Versions applied in the first pass.
    public var applied: [String] = []
    /// Versions rolled back, newest first.
    public var rolledBack: [String] = []
    /// Versions applied again.
    public var reapplied: [String] = []
    /// Versions that could not be rolled back because a migration (the newest of them) has no down script.
    public var irreversible: [String] = []
    /// The problems found; none means the rehearsal passed.
    public var findings: [Finding] = []

    /// Whether nothing was found.
    public var passed: Bool { findings.isEmpty }
}
