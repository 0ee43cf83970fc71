import Foundation
import PostgresTestServer
import Testing

/// A PostgreSQL server of one test's own, which the test may stop abruptly and start again (the
/// shared test server must never be stopped): `initdb` in a new temporary directory and
/// `postgres` on a free port of 127.0.0.1, run as the `postgres` user (`runuser`) when the tests
/// run as root. Stopped (`pg_ctl stop -m immediate`) and removed when released.
final class DisposablePostgresServer {
    let root: String
    let port: Int
    /// The server, for ``PostgresDatabase/init(on:)``, psql and URLs.
    private(set) var server: PostgresTestServer!
    private var postgres: Process?

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pg-fault-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/socket", withIntermediateDirectories: true)
        try Data(PostgresTestServer.throwawayPassword.utf8).write(to: URL(fileURLWithPath: root + "/pw"))
        if geteuid() == 0 {
            _ = try PostgresTestServer.run("/bin/chown", ["-R", "postgres:postgres", root], stdin: nil, environment: [:])
        }
        port = PostgresTestServer.freePort()
        try serverProgram("initdb", ["-D", root + "/data", "-U", "postgres", "--pwfile", root + "/pw", "-E", "UTF8",
                                     "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256", "--no-sync"])
        try start()
        server = try PostgresTestServer.existing(
            "postgres://postgres:\(PostgresTestServer.throwawayPassword)@127.0.0.1:\(port)/postgres")
    }

    deinit {
        try? stopImmediately()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Starts the server (again) on the same port and data directory; returns when it accepts connections.
    func start() throws {
        let options = ["-D", root + "/data", "-c", "listen_addresses=127.0.0.1", "-p", String(port), "-k", root + "/socket",
                       "-c", "fsync=off", "-c", "max_connections=40", "-c", "shared_buffers=16MB"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: geteuid() == 0 ? "/usr/sbin/runuser" : "\(PostgresTestServer.binaries)/postgres")
        process.arguments = geteuid() == 0 ? ["-u", "postgres", "--", "\(PostgresTestServer.binaries)/postgres"] + options : options
        FileManager.default.createFile(atPath: root + "/server.log", contents: nil)
        let log = FileHandle(forWritingAtPath: root + "/server.log")
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log ?? FileHandle.nullDevice
        process.standardError = log ?? FileHandle.nullDevice
        try process.run()
        try? log?.close()
        postgres = process
        for _ in 0..<300 {
            let ready = try PostgresTestServer.run("\(PostgresTestServer.binaries)/pg_isready",
                                                   ["-q", "-h", "127.0.0.1", "-p", String(port)], stdin: nil, environment: [:])
            if ready.status == 0 { return }
            guard process.isRunning else { break }
            usleep(100_000)
        }
        let output = (try? String(contentsOfFile: root + "/server.log", encoding: .utf8)) ?? ""
        Issue.record("the test's own PostgreSQL server did not start: \(output)")
        throw CancellationError()
    }

    /// `pg_ctl stop -m immediate`: every server process ends at once, without a checkpoint, as in
    /// a crash; the next start runs crash recovery.
    func stopImmediately() throws {
        guard let process = postgres else { return }
        try serverProgram("pg_ctl", ["-D", root + "/data", "-m", "immediate", "-w", "stop"])
        process.waitUntilExit()
        postgres = nil
    }

    private func serverProgram(_ name: String, _ arguments: [String]) throws {
        let program = "\(PostgresTestServer.binaries)/\(name)"
        let result = geteuid() == 0
            ? try PostgresTestServer.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments, stdin: nil, environment: [:])
            : try PostgresTestServer.run(program, arguments, stdin: nil, environment: [:])
        guard result.status == 0 else {
            Issue.record("\(name) failed (exit \(result.status)): \(result.stderr)\(result.stdout)")
            throw CancellationError()
        }
    }
}
