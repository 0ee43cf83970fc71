import Foundation
import Strata
import StrataSQLite
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("SQLite lock file")
struct SQLiteLockFileTests {
    let dir = TempDir()

    // MARK: - Acquire and release

    @Test func acquireWritesTheHolderAndReleaseRemovesTheFile() async throws {
        let db = dir.newDatabasePath()
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        #expect(lock.lockPath == db + ".lock")
        #expect(lock.isHeld)
        #expect(lock.tookOverStaleLockFrom == nil)
        #expect(lock.staleLockNotice == nil)

        let text = try String(contentsOfFile: lock.lockPath, encoding: .utf8)
        let written = LockHolder(parsing: text)
        #expect(written.pid == getpid())
        #expect(written.hostname == RunIdentity.current().hostname)
        #expect(written.strataVersion == StrataInfo.version)
        #expect(written.since?.hasSuffix("Z") == true)
        #expect(written == lock.holder)
        #expect(text.hasPrefix("pid: \(getpid())\nhostname: "))

        lock.release()
        #expect(!lock.isHeld)
        #expect(!FileManager.default.fileExists(atPath: lock.lockPath))
        lock.release()  // idempotent
        #expect(!FileManager.default.fileExists(atPath: lock.lockPath))

        // Free again.
        let again = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        again.release()
    }

    @Test func lockFileHasMode0600() async throws {
        let db = dir.newDatabasePath()
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        defer { lock.release() }
        #expect(try mode(of: lock.lockPath) == 0o600)
    }

    @Test func lockFileIsNextToTheRealDatabaseFile() async throws {
        let db = dir.path("real.db")
        #expect(FileManager.default.createFile(atPath: db, contents: Data()))
        let link = dir.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: db)
        #expect(SQLiteLockFile.lockPath(forDatabase: link) == SQLiteLockFile.lockPath(forDatabase: db))
        #expect(SQLiteLockFile.lockPath(forDatabase: db).hasSuffix("/real.db.lock"))
        #expect(SQLiteLockFile.lockPath(forDatabase: dir.path("missing.db")) == dir.path("missing.db") + ".lock")

        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        defer { lock.release() }
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: link, timeout: 0) }
        #expect(error?.code == .lockTimeout)
    }

    @Test func emptyPathIsAConfigurationError() async {
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: "", timeout: 0) }
        #expect(error?.code == .configuration)
    }

    // MARK: - A held lock

    @Test func secondAcquireInTheSameProcessTimesOutNamingThePid() async throws {
        let db = dir.newDatabasePath()
        let first = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        defer { first.release() }
        let before = try String(contentsOfFile: first.lockPath, encoding: .utf8)

        let waits = Recorder<LockHolder>()
        let start = ContinuousClock.now
        let error = await strataError {
            _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0.4, pollInterval: 0.05) { waits.add($0) }
        }
        let elapsed = ContinuousClock.now - start

        let e = try #require(error)
        #expect(e.code == .lockTimeout)
        #expect(e.code.exitCode == 4)
        #expect(e.message == "another runner holds the lock on \(db): \(first.holder)")
        #expect(e.message.contains("pid \(getpid()) on host \(RunIdentity.current().hostname) since "))
        #expect(e.hint == "wait for it to finish, or if that process is gone remove \(db).lock")
        #expect(elapsed >= .milliseconds(380))
        #expect(elapsed < .seconds(3))
        #expect(waits.values == [first.holder])

        // The waiter changed nothing.
        #expect(first.isHeld)
        #expect(try String(contentsOfFile: first.lockPath, encoding: .utf8) == before)
    }

    @Test func zeroTimeoutTriesOnce() async throws {
        let db = dir.newDatabasePath()
        let first = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        defer { first.release() }
        let start = ContinuousClock.now
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0) }
        #expect(error?.code == .lockTimeout)
        #expect(ContinuousClock.now - start < .milliseconds(500))
    }

    @Test func waiterGetsTheLockWhenTheHolderReleasesIt() async throws {
        let db = dir.newDatabasePath()
        let first = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        let waiter = Task { try await SQLiteLockFile.acquire(databasePath: db, timeout: 10, pollInterval: 0.01) }
        try await Task.sleep(for: .milliseconds(200))
        first.release()
        let second = try await waiter.value
        #expect(second.isHeld)
        #expect(second.tookOverStaleLockFrom == nil)
        #expect(LockHolder(parsing: try String(contentsOfFile: second.lockPath, encoding: .utf8)) == second.holder)
        second.release()
        #expect(!FileManager.default.fileExists(atPath: second.lockPath))
    }

    @Test func concurrentRunnersNeverOverlap() async throws {
        let db = dir.newDatabasePath()
        let tally = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    for _ in 0..<4 {
                        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 30, pollInterval: 0.002)
                        tally.enter()
                        try? await Task.sleep(for: .milliseconds(3))
                        tally.leave()
                        lock.release()
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(tally.maxInside == 1)
        #expect(tally.total == 24)
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
    }

    // MARK: - Stale locks

    @Test func staleLockWithADeadPidIsTakenOver() async throws {
        let db = dir.newDatabasePath()
        let host = RunIdentity.current().hostname
        let stale = "pid: 999999\nhostname: \(host)\nsince: 2020-01-02T03:04:05.000Z\nstrata_version: 0.0.1\n"
        #expect(FileManager.default.createFile(atPath: db + ".lock", contents: Data(stale.utf8),
                                       attributes: [.posixPermissions: 0o644]))

        let start = ContinuousClock.now
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 5)
        defer { lock.release() }
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(lock.tookOverStaleLockFrom == LockHolder(pid: 999_999, hostname: host, since: "2020-01-02T03:04:05.000Z",
                                                         strataVersion: "0.0.1"))
        #expect(!lock.tookOverFromAnotherHost)
        #expect(lock.staleLockNotice == "took over a stale lock left by pid 999999 on host \(host) since 2020-01-02T03:04:05.000Z")
        let now = try String(contentsOfFile: lock.lockPath, encoding: .utf8)
        #expect(LockHolder(parsing: now).pid == getpid())
        #expect(!now.contains("999999"))
        #expect(try mode(of: lock.lockPath) == 0o600)
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
    }

    @Test func staleLockFromAnotherHostIsTakenOverWithAWarning() async throws {
        let db = dir.newDatabasePath()
        let stale = "pid: 999999\nhostname: elsewhere.invalid\nsince: 2020-01-02T03:04:05.000Z\n"
        #expect(FileManager.default.createFile(atPath: db + ".lock", contents: Data(stale.utf8)))
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        defer { lock.release() }
        #expect(lock.tookOverStaleLockFrom?.hostname == "elsewhere.invalid")
        #expect(lock.tookOverFromAnotherHost)
        let notice = try #require(lock.staleLockNotice)
        #expect(notice.hasPrefix("took over a stale lock left by pid 999999 on host elsewhere.invalid since 2020-01-02T03:04:05.000Z; "))
        #expect(notice.contains("another host (elsewhere.invalid)"))
    }

    @Test func staleSeed002LockFileIsTakenOver() async throws {
        let db = dir.newDatabasePath()
        #expect(FileManager.default.createFile(atPath: db + ".lock", contents: Data("999999\n2024-12-27T14:30:00.123456\n".utf8)))
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        defer { lock.release() }
        #expect(lock.tookOverStaleLockFrom == LockHolder(pid: 999_999, since: "2024-12-27T14:30:00.123456"))
        #expect(lock.staleLockNotice == "took over a stale lock left by pid 999999 since 2024-12-27T14:30:00.123456")
    }

    @Test func emptyLeftoverLockFileIsTakenOverSilently() async throws {
        let db = dir.newDatabasePath()
        #expect(FileManager.default.createFile(atPath: db + ".lock", contents: Data()))
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        defer { lock.release() }
        #expect(lock.tookOverStaleLockFrom == nil)
        #expect(LockHolder(parsing: try String(contentsOfFile: lock.lockPath, encoding: .utf8)).pid == getpid())
    }

    @Test func withLockReportsATakeover() async throws {
        let db = dir.newDatabasePath()
        #expect(FileManager.default.createFile(atPath: db + ".lock", contents: Data("pid: 999999\n".utf8)))
        let notices = Recorder<String>()
        let value = try await SQLiteLockFile.withLock(databasePath: db, timeout: 1,
                                                      onTakeover: { notices.add($0.staleLockNotice ?? "") }) { 42 }
        #expect(value == 42)
        #expect(notices.values == ["took over a stale lock left by pid 999999"])
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
    }

    // MARK: - Holder parsing

    @Test func holderParsingIsLenient() {
        #expect(LockHolder(parsing: "pid: 12\nhostname: h\nsince: 2026-01-01T00:00:00.000Z\nstrata_version: 0.1.0\n")
            == LockHolder(pid: 12, hostname: "h", since: "2026-01-01T00:00:00.000Z", strataVersion: "0.1.0"))
        #expect(LockHolder(parsing: "12345\n2024-12-27T14:30:00\n") == LockHolder(pid: 12345, since: "2024-12-27T14:30:00"))
        #expect(LockHolder(parsing: #"{"pid": 77, "timestamp": 1700000000.5, "host": "box"}"#)
            == LockHolder(pid: 77, hostname: "box", since: "2023-11-14T22:13:20.500Z"))
        #expect(LockHolder(parsing: "PID=8\nStarted-At=2026-01-01 10:00:00\n") == LockHolder(pid: 8, since: "2026-01-01 10:00:00"))
        #expect(LockHolder(parsing: "pid 9\n") == LockHolder(pid: 9))
        #expect(LockHolder(parsing: "garbage\n\u{0}\u{1}").isUnknown)
        #expect(LockHolder(parsing: "").isUnknown)
        #expect(LockHolder(parsing: "pid: -3\n").pid == nil)
    }

    @Test func holderDescription() {
        #expect(LockHolder(pid: 1, hostname: "h", since: "t").description == "pid 1 on host h since t")
        #expect(LockHolder(hostname: "h").description == "a process on host h")
        #expect(LockHolder(since: "t").description == "a process since t")
        #expect(LockHolder().description == "an unknown process")
        let holder = LockHolder(pid: 5, hostname: "h", since: "t", strataVersion: "9")
        #expect(LockHolder(parsing: holder.fileContents) == holder)
    }

    // MARK: - Refusals

    @Test func symlinkAtTheLockPathIsRefusedAndItsTargetUntouched() async throws {
        let db = dir.newDatabasePath()
        let target = dir.path("target.txt")
        try "keep me\n".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: db + ".lock", withDestinationPath: target)

        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1) }
        let e = try #require(error)
        #expect(e.code == .database)
        #expect(e.message.contains("symbolic link"))
        #expect(e.message.contains(db + ".lock"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: db + ".lock") == target)
    }

    @Test func danglingSymlinkIsRefusedAndNothingIsCreated() async throws {
        let db = dir.newDatabasePath()
        let target = dir.path("would-be-created")
        try FileManager.default.createSymbolicLink(atPath: db + ".lock", withDestinationPath: target)
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1) }
        #expect(error?.code == .database)
        #expect(error?.message.contains("symbolic link") == true)
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func directoryAtTheLockPathIsRefused() async throws {
        let db = dir.newDatabasePath()
        try FileManager.default.createDirectory(atPath: db + ".lock", withIntermediateDirectories: false)
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1) }
        #expect(error?.code == .database)
        #expect(error?.message.contains("is a directory") == true)
    }

    @Test func missingDirectoryIsADatabaseError() async throws {
        let db = dir.path("no/such/dir/app.db")
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1) }
        #expect(error?.code == .database)
        #expect(error?.message.contains("does not exist") == true)
    }

    // A read-only directory (the lock file cannot be created) is tested end to end as the
    // unprivileged user `nobody` in TroubleshootingTests.readOnlyDatabaseFileInReadOnlyDirectory:
    // as root (how CI runs) permissions are not enforced in process.

    @Test func releaseLeavesAFileThatReplacedOursAlone() async throws {
        let db = dir.newDatabasePath()
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        #expect(unlink(lock.lockPath) == 0)
        try "someone else's\n".write(toFile: lock.lockPath, atomically: false, encoding: .utf8)
        lock.release()
        #expect(try String(contentsOfFile: lock.lockPath, encoding: .utf8) == "someone else's\n")
    }

    // MARK: - Another process

    @Test func lockHeldByAnotherProcessIsWaitedFor() async throws {
        let db = dir.newDatabasePath()
        let child = try FlockChild(path: db + ".lock", seconds: 2)
        defer { child.stop() }
        try await child.waitUntilHeld()

        let waits = Recorder<LockHolder>()
        let start = ContinuousClock.now
        let lock = try await SQLiteLockFile.acquire(databasePath: db, timeout: 5) { waits.add($0) }
        let elapsed = ContinuousClock.now - start
        defer { lock.release() }
        #expect(elapsed > .milliseconds(800))
        #expect(elapsed < .milliseconds(4900))
        #expect(waits.values == [LockHolder()])  // flock(1) writes nothing into the file
        #expect(lock.tookOverStaleLockFrom == nil)
        #expect(try mode(of: lock.lockPath) == 0o600)
        lock.release()
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
    }

    @Test func lockHeldByAnotherProcessTimesOut() async throws {
        let db = dir.newDatabasePath()
        let child = try FlockChild(path: db + ".lock", seconds: 2)
        defer { child.stop() }
        try await child.waitUntilHeld()

        let start = ContinuousClock.now
        let error = await strataError { _ = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0.5) }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .lockTimeout)
        #expect(error?.message == "another runner holds the lock on \(db) (its lock file does not say which process)")
        #expect(elapsed >= .milliseconds(480))
        #expect(elapsed < .milliseconds(1900))
    }

    // MARK: - Cancellation and scoped use

    @Test func cancellationWhileWaitingThrowsAndHoldsNothing() async throws {
        let db = dir.newDatabasePath()
        let first = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        let before = try String(contentsOfFile: first.lockPath, encoding: .utf8)
        let waits = Recorder<LockHolder>()
        let waiter = Task { try await SQLiteLockFile.acquire(databasePath: db, timeout: 30) { waits.add($0) } }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        waiter.cancel()
        let result = await waiter.result
        #expect(ContinuousClock.now - start < .seconds(2))
        switch result {
        case .success(let lock):
            lock.release()
            Issue.record("a cancelled waiter acquired the lock")
        case .failure(let error):
            let e = try #require(error as? StrataError)
            #expect(e.code == .lockTimeout)
            #expect(e.message.contains("cancelled"))
        }
        #expect(waits.values == [first.holder])
        #expect(first.isHeld)
        #expect(try String(contentsOfFile: first.lockPath, encoding: .utf8) == before)
        first.release()
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
        let again = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        again.release()
    }

    @Test func cancelledTaskDoesNotTakeAFreeLock() async throws {
        let db = dir.newDatabasePath()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await SQLiteLockFile.acquire(databasePath: db, timeout: 1)
        }
        let result = await task.result
        if case .success(let lock) = result {
            lock.release()
            Issue.record("a cancelled task acquired the lock")
        }
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
    }

    @Test func withLockReleasesAfterSuccessAndAfterAnError() async throws {
        let db = dir.newDatabasePath()
        let value = try await SQLiteLockFile.withLock(databasePath: db, timeout: 1) { () async throws -> String in
            #expect(FileManager.default.fileExists(atPath: db + ".lock"))
            return "done"
        }
        #expect(value == "done")
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))

        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            _ = try await SQLiteLockFile.withLock(databasePath: db, timeout: 1) { () async throws -> Int in throw Boom() }
        }
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
        let again = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        again.release()
    }

    @Test func withLockReleasesWhenTheTaskIsCancelled() async throws {
        let db = dir.newDatabasePath()
        let started = Recorder<Bool>()
        let task = Task {
            try await SQLiteLockFile.withLock(databasePath: db, timeout: 1) { () async throws -> Int in
                started.add(true)
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        while started.values.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(FileManager.default.fileExists(atPath: db + ".lock"))
        task.cancel()
        let result = await task.result
        if case .success = result { Issue.record("the body should have been cancelled") }
        #expect(!FileManager.default.fileExists(atPath: db + ".lock"))
        let again = try await SQLiteLockFile.acquire(databasePath: db, timeout: 0)
        again.release()
    }
}

// MARK: - Helpers

/// Permission bits of a file.
private func mode(of path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? Int ?? -1) & 0o777
}

/// Values recorded from `@Sendable` callbacks.
private final class Recorder<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Value] = []

    func add(_ value: Value) { lock.withLock { stored.append(value) } }
    var values: [Value] { lock.withLock { stored } }
}

/// Counts runners inside the critical section.
private final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var inside = 0
    private(set) var maxInside = 0
    private(set) var total = 0

    func enter() {
        lock.withLock {
            inside += 1
            total += 1
            maxInside = max(maxInside, inside)
        }
    }

    func leave() { lock.withLock { inside -= 1 } }
}

/// A child process holding `flock` on a file for some seconds: `/bin/sh -c 'exec flock <path> sleep N'`.
private final class FlockChild {
    let process = Process()
    let path: String

    init(path: String, seconds: Int) throws {
        self.path = path
        let tool = ["/usr/bin/flock", "/bin/flock", "/usr/local/bin/flock"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let flock = try #require(tool, "the flock command (util-linux) is missing; install util-linux to run this test")
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \(flock) \"$0\" sleep \(seconds)", path]
        try process.run()
    }

    /// Waits until the child holds the lock.
    func waitUntilHeld() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if isLockedElsewhere(path) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("the flock child never took the lock on \(path)")
        throw CancellationError()
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }

    /// Whether another open file description holds `flock` on the file.
    private func isLockedElsewhere(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return true
    }
}
