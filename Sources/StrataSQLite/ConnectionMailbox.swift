import Foundation
import GRDB
import Strata

/// Hands work from a Swift migration's async code to the one thread that holds the migration's
/// transaction.
///
/// The worker thread enters the database (GRDB's `writeWithoutTransaction`, which it holds for the
/// whole migration, so nothing else can run on the connection meanwhile), begins the transaction,
/// then calls ``serve(_:)``, which runs submitted jobs in order until ``finish(_:)``. The migration's
/// code runs on Swift's cooperative pool and submits jobs with ``submit(_:)``; each job resumes
/// the code's continuation with its result. The worker is a thread of its own, never one of the
/// cooperative pool's, so waiting for jobs blocks no Swift task.
final class ConnectionMailbox: @unchecked Sendable {
    /// How the migration's code ended.
    enum Outcome {
        case success
        case failure(any Error)
    }

    /// One piece of work: run it on the connection, or reject it when the mailbox is closed.
    struct Job {
        let run: @Sendable (Database) -> Void
        let reject: @Sendable (any Error) -> Void
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var outcome: Outcome?
    /// Set when the worker no longer serves: every later job is rejected with it.
    private var closedError: (any Error)?

    /// Queues a job; rejects it at once when the mailbox is closed.
    func submit(_ job: Job) {
        condition.lock()
        if let closedError {
            condition.unlock()
            job.reject(closedError)
            return
        }
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// The error of a job submitted after the migration's code ended.
    static let endedError = StrataError(
        .migrationFailed, "the migration's database handle was used after the migration ended",
        hint: "await every database call inside the migration closure; do not keep the handle")

    /// Called by the migration's side when its code returned or threw.
    func finish(_ outcome: Outcome) {
        condition.lock()
        if self.outcome == nil { self.outcome = outcome }
        condition.signal()
        condition.unlock()
    }

    /// Called by the worker: stops serving; pending and later jobs are rejected with `error`.
    func close(with error: any Error) {
        condition.lock()
        if closedError == nil { closedError = error }
        let pending = jobs
        jobs = []
        condition.unlock()
        for job in pending { job.reject(error) }
    }

    /// Called by the worker, on the connection's thread: runs jobs in order until ``finish(_:)``,
    /// then returns how the code ended. `afterEach` runs after every job; throwing from it (the
    /// transaction was lost, say) closes the mailbox with that error and ends serving.
    func serve(_ db: Database, afterEach: (Database) throws -> Void) -> Outcome {
        while true {
            condition.lock()
            while jobs.isEmpty && outcome == nil { condition.wait() }
            if let outcome {
                // Jobs that arrive after the code ended (from a task it left running) are not
                // part of the migration.
                condition.unlock()
                close(with: Self.endedError)
                return outcome
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.run(db)
            do {
                try afterEach(db)
            } catch {
                close(with: error)
                condition.lock()
                while outcome == nil { condition.wait() }
                condition.unlock()
                return .failure(error)
            }
        }
    }
}
