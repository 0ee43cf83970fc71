import Foundation
import Testing

/// A `strata` process running in the background: its output is collected as it comes, so a test
/// can wait for a line, send it signals, and collect its result.
final class RunningStrata: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let outPipe = Pipe()
    private let errPipe = Pipe()

    /// Starts `strata arguments` in `directory`.
    init(_ arguments: [String], in directory: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: StrataProcess.binary) else {
            Issue.record("the strata binary was not found next to the tests (\(StrataProcess.binary))")
            throw CancellationError()
        }
        process.executableURL = URL(fileURLWithPath: StrataProcess.binary)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for key in ["STRATA_DATABASE_URL", "DATABASE_URL", "DB_FILE"] { env[key] = nil }
        process.environment = env
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = FileHandle.nullDevice
        outPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.out.append(data) }
        }
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.err.append(data) }
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until stdout or stderr contains `text` (true), or the process ends or `seconds` pass (false).
    func waitFor(_ text: String, seconds: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stdout.contains(text) || stderr.contains(text) { return true }
            if !process.isRunning { return stdout.contains(text) || stderr.contains(text) }
            usleep(5_000)
        }
        return false
    }

    func signal(_ number: Int32) { kill(pid, number) }

    /// Waits for the end and returns the result (exit status, or the signal number when killed).
    func finish() -> (result: ProcessResult, killed: Bool) {
        process.waitUntilExit()
        // Drain what the handlers have not read yet.
        outPipe.fileHandleForReading.readabilityHandler = nil
        errPipe.fileHandleForReading.readabilityHandler = nil
        let restOut = outPipe.fileHandleForReading.readDataToEndOfFile()
        let restErr = errPipe.fileHandleForReading.readDataToEndOfFile()
        lock.withLock {
            out.append(restOut)
            err.append(restErr)
        }
        return (ProcessResult(exitCode: process.terminationStatus, stdout: stdout, stderr: stderr),
                process.terminationReason == .uncaughtSignal)
    }
}
