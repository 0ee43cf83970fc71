import NIOCore

/// A task executor that runs jobs on one NIO event loop: the loop that owns the driver's
/// connection (see ``PostgresDriver/preferredTaskExecutor``).
///
/// PostgresNIO answers every query on its connection's event loop. A task running on Swift's
/// global pool that awaits a query therefore hands the work to the loop's thread and is woken on
/// a pool thread when the answer comes: two thread switches per await. A task that prefers this
/// executor runs on the loop's thread itself, so the answer resumes it in place.
final class EventLoopTaskExecutor: TaskExecutor {
    /// The loop jobs run on.
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
