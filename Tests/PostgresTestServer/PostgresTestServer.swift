import Foundation
import StrataPostgres
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server for tests: one throwaway cluster per test process, shared by every test
/// target in it, or an existing server named by `STRATA_TEST_POSTGRES_URL`.
///
/// ```swift
/// let server = try PostgresTestServer.shared()
/// let db = try server.createDatabase()          // a fresh, empty database for this test
/// defer { server.dropDatabase(db) }
/// let url = server.url(database: db)            // postgres://postgres:…@127.0.0.1:<port>/<db>?sslmode=disable
/// print(try server.psql(db, "SELECT 1"))
/// ```
///
/// The throwaway cluster: `initdb` (password authentication over TCP, trust on the socket) and
/// `postgres` in a new temporary directory, listening on 127.0.0.1 at a free port and on a
/// socket in that directory, with `fsync` off. As root the server runs as the `postgres` user
/// (`runuser -u postgres --`), since PostgreSQL refuses to run as root. It is stopped when the
/// test process exits (an `atexit` handler, and a watchdog process for a process that is killed),
/// and its directory is removed.
///
/// When the server cannot be started, ``shared()`` throws an error that says why and how to
/// install PostgreSQL; tests fail with it (they are never skipped).
public final class PostgresTestServer: Sendable {
    /// The directory of the PostgreSQL 15 server programs.
    public static let binaries = "/usr/lib/postgresql/15/bin"
    /// The superuser's password on the throwaway server (it listens on 127.0.0.1 only).
    public static let throwawayPassword = "strata-test-pw-7Qx"

    /// The TCP host.
    public let host: String
    /// The TCP port.
    public let port: Int
    /// The superuser (or the user of `STRATA_TEST_POSTGRES_URL`).
    public let user: String
    /// Its password, if any.
    public let password: String?
    /// The directory of the server's unix socket; `nil` for an existing server.
    public let socketDirectory: String?
    /// The database administrative commands connect to.
    public let adminDatabase: String
    /// Whether this process started the server (and stops it at exit).
    public let isThrowaway: Bool

    private init(host: String, port: Int, user: String, password: String?, socketDirectory: String?,
                 adminDatabase: String, isThrowaway: Bool) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.socketDirectory = socketDirectory
        self.adminDatabase = adminDatabase
        self.isThrowaway = isThrowaway
    }

    /// An error starting or using the test server.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the output of the failing program.
        public var description: String
    }

    nonisolated(unsafe) private static var started: Result<PostgresTestServer, Failure>?
    private static let lock = NSLock()

    /// The server of this test process, started on first use.
    /// - Throws: ``Failure`` when no server can be started or reached.
    public static func shared() throws -> PostgresTestServer {
        lock.lock()
        defer { lock.unlock() }
        if let started { return try started.get() }
        let result: Result<PostgresTestServer, Failure>
        do {
            result = .success(try start())
        } catch let failure as Failure {
            result = .failure(failure)
        } catch {
            result = .failure(Failure(description: "\(error)"))
        }
        started = result
        return try result.get()
    }

    // MARK: - Databases

    /// Creates a new, empty database with a unique name and returns the name.
    public func createDatabase(prefix: String = "strata_test") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        _ = try psql(adminDatabase, "CREATE DATABASE \"\(name)\"")
        return name
    }

    /// Drops a database created by ``createDatabase(prefix:)`` (ending its connections); errors are ignored.
    public func dropDatabase(_ name: String) {
        _ = try? psql(adminDatabase, "DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)")
    }

    /// A URL for a database on this server (TCP, with the password, `sslmode=disable`), plus
    /// extra query parameters.
    public func url(database: String, user: String? = nil, password: String?? = .none, query: String = "") -> String {
        let name = user ?? self.user
        let secret: String? = switch password {
        case .none: self.password
        case .some(let value): value
        }
        let credentials = name + (secret.map { ":" + Self.percentEncode($0) } ?? "")
        return "postgres://\(credentials)@\(host):\(port)/\(database)?sslmode=disable" + (query.isEmpty ? "" : "&\(query)")
    }

    /// The environment for the PostgreSQL client programs (`psql`, `pg_dump`) to reach this server.
    public var clientEnvironment: [String: String] {
        var env = ["PGHOST": host, "PGPORT": String(port), "PGUSER": user, "PGSSLMODE": "disable",
                   "PGCONNECT_TIMEOUT": "10"]
        if let password { env["PGPASSWORD"] = password }
        return env
    }

    /// Runs SQL with `psql` (unaligned, tuples only, stop on the first error) and returns its output.
    /// - Throws: ``Failure`` with psql's error output when it fails.
    @discardableResult
    public func psql(_ database: String, _ sql: String, arguments: [String] = []) throws -> String {
        let result = try Self.run(Self.clientProgram("psql"),
                                  ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database] + arguments,
                                  stdin: sql, environment: clientEnvironment)
        guard result.status == 0 else {
            throw Failure(description: "psql on \(database) failed (exit \(result.status)): \(result.stderr)\nSQL: \(sql)")
        }
        return result.stdout
    }

    /// `pg_dump -s` of a database, normalised for comparison: without comments, `SET` lines,
    /// the `\restrict` lines (a random key per dump), blank lines and the objects whose names
    /// start with `exclude` (Strata's own tables, triggers and function), so two databases built
    /// by different tools compare equal when their user schemas are equal.
    public func schemaDump(_ database: String, excludingPrefix exclude: String = "strata_") throws -> String {
        let result = try Self.run(Self.clientProgram("pg_dump"),
                                  ["-s", "--no-owner", "--no-privileges", "-d", database],
                                  stdin: nil, environment: clientEnvironment)
        guard result.status == 0 else {
            throw Failure(description: "pg_dump -s \(database) failed (exit \(result.status)): \(result.stderr)")
        }
        // Split into the statements pg_dump writes (each ends with ";" at the end of a line,
        // function bodies included), and drop those that mention the excluded objects.
        var statements: [String] = []
        var current: [Substring] = []
        var inBody = false
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if !inBody && (line.hasPrefix("--") || line.hasPrefix("SET ") || line.hasPrefix("SELECT pg_catalog.set_config")
                           || line.hasPrefix("\\restrict ") || line.hasPrefix("\\unrestrict ")
                           || line.trimmingCharacters(in: .whitespaces).isEmpty) { continue }
            current.append(line)
            if line.contains("$$") || line.contains("$_$") {
                let count = line.components(separatedBy: "$$").count - 1 + line.components(separatedBy: "$_$").count - 1
                if count % 2 == 1 { inBody.toggle() }
            }
            if !inBody && line.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { statements.append(current.joined(separator: "\n")) }
        return statements.filter { !$0.contains(exclude) }.joined(separator: "\n")
    }

    // MARK: - Starting

    private static func start() throws -> PostgresTestServer {
        let env = ProcessInfo.processInfo.environment
        if let text = env["STRATA_TEST_POSTGRES_URL"], !text.isEmpty {
            return try existing(text)
        }
        let initdb = "\(binaries)/initdb"
        guard FileManager.default.isExecutableFile(atPath: initdb) else {
            throw Failure(description: "PostgreSQL 15 is not installed (\(initdb) is missing): the PostgreSQL tests need a "
                + "real server. Install it with `apt-get install postgresql` (scripts/test does this), or set "
                + "STRATA_TEST_POSTGRES_URL=postgres://user:password@host:port/postgres to use an existing server.")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        let data = root + "/data", socket = root + "/socket", log = root + "/server.log", pwfile = root + "/pw"
        do {
            try FileManager.default.createDirectory(atPath: socket, withIntermediateDirectories: true)
            try Data(throwawayPassword.utf8).write(to: URL(fileURLWithPath: pwfile))
        } catch {
            throw Failure(description: "cannot create the test server's directory \(root): \(error)")
        }
        let asRoot = geteuid() == 0
        if asRoot {
            let chown = try run("/bin/chown", ["-R", "postgres:postgres", root], stdin: nil, environment: [:])
            guard chown.status == 0 else {
                throw Failure(description: "cannot give \(root) to the postgres user (is the postgres user missing? "
                    + "`apt-get install postgresql` creates it): \(chown.stderr)")
            }
        }
        func server(_ program: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            if asRoot {
                return try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(program)"] + arguments,
                               stdin: nil, environment: [:])
            }
            return try run("\(binaries)/\(program)", arguments, stdin: nil, environment: [:])
        }
        let initResult = try server("initdb", ["-D", data, "-U", "postgres", "--pwfile", pwfile, "-E", "UTF8",
                                               "--locale", "C", "--auth-local", "trust", "--auth-host", "scram-sha-256",
                                               "--no-sync"])
        guard initResult.status == 0 else {
            throw Failure(description: "initdb failed (exit \(initResult.status)): \(initResult.stderr)\(initResult.stdout)")
        }
        // The server runs as a direct child that is never waited for. (pg_ctl start would
        // daemonize it, and Foundation's Process sees a child exit only when every process that
        // inherited its status socket is gone, so waiting for pg_ctl would hang on the daemon.)
        var port = 0
        var lastError = ""
        for _ in 0..<5 {
            port = freePort()
            let options = ["-D", data, "-c", "listen_addresses=127.0.0.1", "-p", String(port), "-k", socket,
                           "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                           "-c", "max_connections=100", "-c", "shared_buffers=32MB"]
            let postgres = Process()
            if asRoot {
                postgres.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
                postgres.arguments = ["-u", "postgres", "--", "\(binaries)/postgres"] + options
            } else {
                postgres.executableURL = URL(fileURLWithPath: "\(binaries)/postgres")
                postgres.arguments = options
            }
            FileManager.default.createFile(atPath: log, contents: nil)
            let logHandle = FileHandle(forWritingAtPath: log)
            postgres.standardInput = FileHandle.nullDevice
            postgres.standardOutput = logHandle ?? FileHandle.nullDevice
            postgres.standardError = logHandle ?? FileHandle.nullDevice
            do {
                try postgres.run()
            } catch {
                throw Failure(description: "cannot start \(binaries)/postgres: \(error)")
            }
            try? logHandle?.close()
            lastError = "the server did not accept connections within 60 s"
            for _ in 0..<600 {
                if !postgres.isRunning {
                    lastError = "postgres exited: " + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
                    break
                }
                let ready = try run("\(binaries)/pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port)],
                                    stdin: nil, environment: [:])
                if ready.status == 0 {
                    lastError = ""
                    break
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            if lastError.isEmpty { break }
            if postgres.isRunning { postgres.terminate() }
        }
        guard lastError.isEmpty else { throw Failure(description: "cannot start the PostgreSQL test server: \(lastError)") }
        stopAtExit(root: root, data: data, asRoot: asRoot)
        return PostgresTestServer(host: "127.0.0.1", port: port, user: "postgres", password: throwawayPassword,
                                  socketDirectory: socket, adminDatabase: "postgres", isThrowaway: true)
    }

    /// Uses the server of `STRATA_TEST_POSTGRES_URL`: `postgres://user[:password]@host[:port][/admin database]`.
    private static func existing(_ text: String) throws -> PostgresTestServer {
        guard let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            throw Failure(description: "STRATA_TEST_POSTGRES_URL is not a postgres://user:password@host:port/database URL")
        }
        let database = components.path.hasPrefix("/") && components.path.count > 1 ? String(components.path.dropFirst()) : "postgres"
        let server = PostgresTestServer(host: host, port: components.port ?? 5432, user: components.user ?? "postgres",
                                        password: components.password, socketDirectory: nil,
                                        adminDatabase: database, isThrowaway: false)
        do {
            _ = try server.psql(database, "SELECT 1")
        } catch {
            throw Failure(description: "cannot reach the server of STRATA_TEST_POSTGRES_URL: \(error)")
        }
        return server
    }

    /// A TCP port nobody listens on right now.
    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    nonisolated(unsafe) private static var stopCommand: [String] = []
    nonisolated(unsafe) private static var stopRoot = ""

    /// Stops the server and removes its directory when this process exits: `atexit` for a normal
    /// exit, and a watchdog shell that waits for this process to disappear (a crash or a kill).
    private static func stopAtExit(root: String, data: String, asRoot: Bool) {
        let pgctl = "\(binaries)/pg_ctl"
        let stop = asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", pgctl, "-D", data, "-m", "immediate", "stop"]
                          : [pgctl, "-D", data, "-m", "immediate", "stop"]
        stopCommand = stop
        stopRoot = root
        atexit {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: PostgresTestServer.stopCommand[0])
            process.arguments = Array(PostgresTestServer.stopCommand.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try? process.run()
            process.waitUntilExit()
            try? FileManager.default.removeItem(atPath: PostgresTestServer.stopRoot)
        }
        let quoted = stop.map { "'\($0)'" }.joined(separator: " ")
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 2; done; \(quoted) >/dev/null 2>&1; rm -rf '\(root)'"
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = ["-c", script]
        watchdog.standardInput = FileHandle.nullDevice
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    // MARK: - Programs

    /// A PostgreSQL client program's path: from the server's directory when it has it, else from
    /// the PATH (the bare name when it is nowhere, so running it fails with that name).
    public static func clientProgram(_ name: String) -> String {
        PostgresClientPrograms.find(name, in: "\(binaries):" + (ProcessInfo.processInfo.environment["PATH"] ?? "")) ?? name
    }

    /// Runs a program (by its path) and waits for it.
    public static func run(_ program: String, _ arguments: [String], stdin: String?,
                           environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let result = PostgresClientPrograms.run(program, arguments, environment: environment, stdin: stdin)
        return (result.status, result.stdout, result.stderr)
    }

    private static func percentEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
