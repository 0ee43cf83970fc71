import Foundation
import Testing

/// The result of running a process.
struct ProcessResult: CustomStringConvertible {
    var exitCode: Int32
    var stdout: String
    var stderr: String

    var description: String { "exit \(exitCode)\n--- stdout\n\(stdout)\n--- stderr\n\(stderr)" }
}

/// Runs the built `strata` binary and other programs for end-to-end tests.
enum StrataProcess {
    /// The `strata` binary next to the test bundle (or `STRATA_BIN`).
    static let binary: String = {
        if let env = ProcessInfo.processInfo.environment["STRATA_BIN"] { return env }
        let candidates = [Bundle.main.executableURL?.deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle.main.bundleURL]
        for dir in candidates.compactMap({ $0 }) {
            let path = dir.appendingPathComponent("strata").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return "strata-binary-not-found"
    }()

    /// Runs `strata` with arguments in a working directory.
    @discardableResult
    static func strata(_ arguments: [String], in directory: URL, environment: [String: String] = [:],
                       stdin: String? = nil) throws -> ProcessResult {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("the strata binary was not found next to the tests (\(binary)); build it with `swift build` or set STRATA_BIN")
            throw CancellationError()
        }
        return try run(binary, arguments, in: directory, environment: environment, stdin: stdin)
    }

    /// Starts `count` `strata` processes with the same arguments at once and waits for all of them.
    static func strataConcurrently(_ arguments: [String], count: Int, in directory: URL) throws -> [ProcessResult] {
        let processes = (0..<count).map { _ -> (Process, Pipe, Pipe) in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = arguments
            p.currentDirectoryURL = directory
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            return (p, out, err)
        }
        for (p, _, _) in processes { try p.run() }
        return processes.map { p, out, err in
            let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return ProcessResult(exitCode: p.terminationStatus, stdout: stdout, stderr: stderr)
        }
    }

    /// Runs any program (looked up on PATH when not absolute).
    static func run(_ program: String, _ arguments: [String], in directory: URL,
                    environment: [String: String] = [:], stdin: String? = nil) throws -> ProcessResult {
        let process = Process()
        if program.hasPrefix("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [program] + arguments
        }
        process.currentDirectoryURL = directory
        var env = ProcessInfo.processInfo.environment
        for key in ["STRATA_DATABASE_URL", "DATABASE_URL", "DB_FILE", "NO_COLOR"] { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(exitCode: process.terminationStatus,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs SQL through the plain `sqlite3` client and returns its output (fails the test on error).
    static func sqlite3(_ database: URL, _ sql: String, in directory: URL? = nil) throws -> String {
        let result = try run("sqlite3", ["-bail", database.path], in: directory ?? database.deletingLastPathComponent(), stdin: sql)
        if result.exitCode != 0 {
            Issue.record("sqlite3 failed on \(database.lastPathComponent): \(result.stderr)")
        }
        return result.stdout
    }

    /// The user schema of a SQLite database, without Strata's tables and SQLite's internal ones.
    static func schema(_ database: URL) throws -> String {
        try sqlite3(database, """
            SELECT type || ' ' || name || ' ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_master
            WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'strata_%' ORDER BY type, name;
            """)
    }
}

/// A temporary directory removed at the end of a test.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("strata-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes files given as relative path → contents, creating directories.
    func write(_ files: [String: String], under sub: String = "") throws {
        for (path, contents) in files {
            let file = url.appendingPathComponent(sub).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents.utf8).write(to: file)
        }
    }

    func path(_ relative: String) -> URL { url.appendingPathComponent(relative) }
}
