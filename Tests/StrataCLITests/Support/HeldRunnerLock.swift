import Foundation

/// The runner lock of a ``ReliabilityDatabase`` held by a process that is not `strata`, until
/// ``release()`` (or the end of the value): a runner started meanwhile waits for it.
final class HeldRunnerLock {
    /// The process holding the lock.
    let holder: Process
    /// Words of the `waiting for the lock held by …` note a waiting runner prints about this holder.
    let waitingNote: String
    private let input: Pipe?

    /// Starts `holder` (with `input` as its standard input, kept open while the lock is held).
    init(holder: Process, input: Pipe? = nil, waitingNote: String) throws {
        self.holder = holder
        self.input = input
        self.waitingNote = waitingNote
        try holder.run()
    }

    /// Ends the holder (SIGKILL): the lock goes with it.
    func release() {
        guard holder.isRunning else { return }
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        try? input?.fileHandleForWriting.close()
    }

    deinit { release() }

    /// A shell holding `flock` on a SQLite lock file that names pid 4242 on host `elsewhere`.
    static func sqlite(lockFile: URL) throws -> HeldRunnerLock {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "printf 'pid: 4242\\nhostname: elsewhere\\n' > \"$0\"; exec 9<\"$0\"; flock 9; exec sleep 60",
                           lockFile.path]
        return try HeldRunnerLock(holder: shell, waitingNote: "waiting for the lock held by pid 4242")
    }
}
