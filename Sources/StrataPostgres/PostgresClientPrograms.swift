import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding and running the PostgreSQL client programs (`pg_dump`, `pg_restore`, `psql`) that
/// ``PostgresBackups`` uses.
public enum PostgresClientPrograms {
    /// What a program printed and how it ended.
    public struct Result: Sendable {
        /// The exit status (127 when it could not be started).
        public var status: Int32
        /// Its standard output.
        public var stdout: String
        /// Its standard error.
        public var stderr: String
    }

    /// The first executable `name` in the colon-separated `searchPath` (a `PATH` value).
    public static func find(_ name: String, in searchPath: String) -> String? {
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let path = "\(dir)/\(name)"
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    /// Runs a program (given by its path, as ``find(_:in:)`` returns it) with extra environment
    /// variables and optional standard input, and waits for it. Both outputs are
    /// read while it runs, so neither can fill up and block it.
    ///
    /// Do not use it for a program that leaves a daemon behind (`pg_ctl start`): Foundation's
    /// `Process` sees the exit only when every process that inherited its status socket is gone.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                           stdin: String? = nil) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        do {
            try process.run()
        } catch {
            return Result(status: 127, stdout: "", stderr: "cannot run \(program): \(error)")
        }
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try? input.fileHandleForWriting.close()
        }
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
