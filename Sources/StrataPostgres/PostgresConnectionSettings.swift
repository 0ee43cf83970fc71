import Foundation
import PostgresNIO
import Strata

/// Where and how to connect to a PostgreSQL database, parsed from a `postgres://` URL (SPEC §4).
///
/// ```swift
/// let settings = try PostgresConnectionSettings.parse(
///     "postgres://app:secret@db.example.com:5432/app?sslmode=require&search_path=billing")
/// settings.redactedURL   // "postgres://app:***@db.example.com:5432/app?sslmode=require&search_path=billing"
/// settings.schema        // "billing": where the history tables live
///
/// // libpq-style unix socket directory:
/// let local = try PostgresConnectionSettings.parse("postgres://postgres@/app?host=/var/run/postgresql")
/// ```
///
/// Accepted query parameters: `sslmode` (`disable`, `allow`, `prefer`, `require`, `verify-ca`,
/// `verify-full`), `search_path` (also `schema`), `host` (a socket directory when it starts with
/// `/`), `port`, `user`, `password`, `dbname`, `application_name`, `connect_timeout` (seconds) and
/// `sslrootcert`. Anything else is an error rather than silently ignored.
///
/// Defaults follow libpq: no host means the unix socket directory (`/var/run/postgresql`, else
/// `/tmp`), port 5432, `sslmode=prefer` over TCP (TLS when the server offers it, without
/// certificate checks), the user from `PGUSER` or the login name, the database named like the
/// user, the password from `PGPASSWORD` when the URL has none. Those environment values come in
/// through `parse(_:environment:)`; this type never reads the process environment itself.
public struct PostgresConnectionSettings: Sendable, Hashable {
    /// How TLS is used (libpq's `sslmode`).
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (PostgresNIO cannot fall back the other way round, so
        /// this is the same as ``prefer``).
        case allow
        /// TLS when the server offers it, no certificate checks (the default).
        case prefer
        /// TLS required, no certificate checks.
        case require
        /// TLS required, the certificate must chain to a trusted root (no host name check).
        case verifyCA = "verify-ca"
        /// TLS required, the certificate must chain to a trusted root and name the host.
        case verifyFull = "verify-full"
    }

    /// The host name or IP address for TCP; `nil` when ``socketDirectory`` is used.
    public var host: String?
    /// The directory of the server's unix socket (`.s.PGSQL.<port>` inside it); `nil` for TCP.
    public var socketDirectory: String?
    /// The port (also part of the socket file's name).
    public var port: Int
    /// The role to log in as.
    public var user: String
    /// The password, if any. Never shown: see ``redactedURL``.
    public var password: String?
    /// The database name.
    public var database: String
    /// The TLS mode.
    public var sslMode: SSLMode
    /// A file of trusted root certificates (PEM) for `verify-ca` and `verify-full`.
    public var sslRootCertificate: String?
    /// The `search_path` given in the URL, as written (for example `billing,public`); `nil` keeps
    /// the server's.
    public var searchPath: String?
    /// The `application_name` shown in `pg_stat_activity`.
    public var applicationName: String
    /// Seconds to wait for the connection to be established.
    public var connectTimeout: Int
    /// The URL as given, with the password replaced by `***`.
    public var redactedURL: String

    /// Creates settings directly (for library use; the command line parses URLs).
    public init(host: String? = nil, socketDirectory: String? = nil, port: Int = 5432, user: String,
                password: String? = nil, database: String, sslMode: SSLMode = .prefer,
                sslRootCertificate: String? = nil, searchPath: String? = nil, applicationName: String = "strata",
                connectTimeout: Int = 10) {
        self.host = host
        self.socketDirectory = socketDirectory
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.sslRootCertificate = sslRootCertificate
        self.searchPath = searchPath
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
        let target = socketDirectory.map { "\($0)/.s.PGSQL.\(port)" } ?? "\(host ?? "localhost"):\(port)"
        self.redactedURL = "postgres://\(user)\(password == nil ? "" : ":***")@\(target)/\(database)"
    }

    /// The schema Strata's history tables live in, when the URL chooses one: the first entry of
    /// ``searchPath`` (unquoted; folded to lower case unless it was quoted). `nil` means the
    /// server's `current_schema()`.
    public var schema: String? {
        guard let searchPath else { return nil }
        return Self.firstSchema(of: searchPath)
    }

    /// Where the server is, for messages: `db.example.com:5432` or `/var/run/postgresql/.s.PGSQL.5432`.
    public var endpoint: String {
        if let socketDirectory { return "\(socketDirectory)/.s.PGSQL.\(port)" }
        return "\(host ?? "localhost"):\(port)"
    }

    // MARK: - Parsing

    /// Parses a `postgres://` or `postgresql://` URL.
    ///
    /// - Parameters:
    ///   - url: The URL.
    ///   - environment: `PGUSER`, `PGPASSWORD`, `USER` and `LOGNAME` fill in what the URL leaves
    ///     out (pass `[:]` to use only the URL).
    /// - Throws: ``StrataError`` `.configuration` for anything that is not a valid PostgreSQL URL;
    ///   the message shows the URL redacted.
    public static func parse(_ url: String, environment: [String: String] = [:]) throws(StrataError) -> PostgresConnectionSettings {
        let redacted = DatabaseURL.redact(url)
        func invalid(_ problem: String, hint: String? = nil) -> StrataError {
            StrataError(.configuration, "invalid PostgreSQL URL '\(redacted)': \(problem)",
                        hint: hint ?? "write postgres://user:password@host:5432/database?sslmode=prefer&search_path=schema")
        }
        guard let schemeEnd = url.range(of: "://") else { throw invalid("it does not start with postgres://") }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "postgres" || scheme == "postgresql" else { throw invalid("unknown scheme '\(scheme)'") }
        var rest = String(url[schemeEnd.upperBound...])
        var query = ""
        if let q = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: q)...])
            rest = String(rest[..<q])
        }
        if let hash = query.firstIndex(of: "#") { query = String(query[..<hash]) }
        var authority = rest
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = String(rest[..<slash])
            path = String(rest[rest.index(after: slash)...])
        }

        var user: String?
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let info = String(authority[..<at])
            hostPort = String(authority[authority.index(after: at)...])
            if let colon = info.firstIndex(of: ":") {
                user = try decode(String(info[..<colon]), invalid)
                password = try decode(String(info[info.index(after: colon)...]), invalid)
            } else {
                user = try decode(info, invalid)
            }
        }
        var host: String?
        var port: Int?
        if hostPort.contains(",") {
            throw invalid("several hosts are not supported", hint: "give one host")
        }
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw invalid("unclosed [ in the host") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { port = try number(String(after.dropFirst()), "port", invalid) }
            else if !after.isEmpty { throw invalid("unexpected text after the IPv6 address") }
        } else if let colon = hostPort.lastIndex(of: ":") {
            let text = String(hostPort[..<colon])
            host = try text.isEmpty ? nil : decode(text, invalid)
            port = try number(String(hostPort[hostPort.index(after: colon)...]), "port", invalid)
        } else if !hostPort.isEmpty {
            host = try decode(hostPort, invalid)
        }
        var database = try path.isEmpty ? nil : decode(path, invalid)

        var sslMode: SSLMode?
        var searchPath: String?
        var applicationName: String?
        var connectTimeout: Int?
        var rootCert: String?
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try decode(String(parts[0]), invalid)
            let value = try parts.count > 1 ? decode(String(parts[1]).replacingOccurrences(of: "+", with: " "), invalid) : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("unknown sslmode '\(value)'",
                                  hint: "use one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "search_path", "schema", "currentSchema": searchPath = value
            case "host": host = value
            case "port": port = try number(value, "port", invalid)
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "application_name": applicationName = value
            case "connect_timeout": connectTimeout = try number(value, "connect_timeout", invalid)
            case "sslrootcert": rootCert = value
            default:
                throw invalid("unknown parameter '\(key)'",
                              hint: "known parameters: sslmode, search_path, host, port, user, password, dbname, "
                                  + "application_name, connect_timeout, sslrootcert")
            }
        }
        if let searchPath, firstSchema(of: searchPath) == nil {
            throw invalid("search_path '\(searchPath)' names no schema", hint: "write search_path=myschema")
        }

        let resolvedUser = user.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGUSER"]
            ?? environment["USER"] ?? environment["LOGNAME"] ?? "postgres"
        var settings = PostgresConnectionSettings(
            user: resolvedUser, password: password ?? environment["PGPASSWORD"],
            database: database.flatMap { $0.isEmpty ? nil : $0 } ?? resolvedUser)
        settings.port = port ?? 5432
        if let host, !host.isEmpty {
            if host.hasPrefix("/") {
                settings.socketDirectory = host
            } else {
                settings.host = host
            }
        } else {
            settings.socketDirectory = FileManager.default.fileExists(atPath: "/var/run/postgresql")
                ? "/var/run/postgresql" : "/tmp"
        }
        settings.sslMode = sslMode ?? .prefer
        settings.sslRootCertificate = rootCert
        settings.searchPath = searchPath
        settings.applicationName = applicationName ?? "strata"
        settings.connectTimeout = connectTimeout ?? 10
        settings.redactedURL = redacted
        return settings
    }

    private static func decode(_ text: String, _ invalid: (String, String?) -> StrataError) throws(StrataError) -> String {
        guard let decoded = text.removingPercentEncoding else {
            throw invalid("bad percent-encoding in '\(DatabaseURL.redact(text))'", nil)
        }
        return decoded
    }

    private static func number(_ text: String, _ name: String,
                               _ invalid: (String, String?) -> StrataError) throws(StrataError) -> Int {
        guard let value = Int(text), value >= 0, value <= 65535 || name != "port" else {
            throw invalid("\(name) '\(text)' is not a number", nil)
        }
        return value
    }

    /// The first schema of a `search_path` value: `"My Schema", public` → `My Schema`,
    /// `Billing` → `billing`; `$user` is skipped.
    static func firstSchema(of searchPath: String) -> String? {
        var entries: [String] = []
        var current = ""
        var quoted = false
        var wasQuoted = false
        var chars = Array(searchPath)
        chars.append(",")
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" {
                        current.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(c)
                }
            } else if c == "\"" {
                quoted = true
                wasQuoted = true
            } else if c == "," {
                let entry = wasQuoted ? current : current.trimmingCharacters(in: .whitespaces).lowercased()
                if !entry.isEmpty && entry != "$user" { entries.append(entry) }
                current = ""
                wasQuoted = false
            } else if !(c == " " && current.isEmpty) {
                current.append(c)
            }
            i += 1
        }
        return entries.first
    }

    // MARK: - PostgresNIO

    /// The PostgresNIO configuration for these settings, with the run's session settings
    /// (`search_path`, `application_name`, `lock_timeout`, `statement_timeout`) sent as startup
    /// parameters.
    /// - Throws: ``StrataError`` `.configuration` when the TLS configuration cannot be built.
    func nioConfiguration(sessionSettings: [(String, String)]) throws(StrataError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketDirectory {
            configuration = .init(unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user,
                                  password: password, database: database)
        } else {
            configuration = .init(host: host ?? "localhost", port: port, username: user, password: password,
                                  database: database, tls: try tls())
        }
        configuration.options.connectTimeout = .seconds(Int64(max(1, connectTimeout)))
        var parameters: [(String, String)] = [("application_name", applicationName)]
        if let searchPath { parameters.append(("search_path", searchPath)) }
        parameters += sessionSettings
        configuration.options.additionalStartupParameters = parameters
        return configuration
    }

    private func tls() throws(StrataError) -> PostgresConnection.Configuration.TLS {
        if sslMode == .disable { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable, .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let sslRootCertificate { tls.trustRoots = .file(sslRootCertificate) }
        do {
            let context = try NIOSSLContext(configuration: tls)
            return sslMode == .allow || sslMode == .prefer ? .prefer(context) : .require(context)
        } catch {
            throw StrataError(.configuration, "cannot set up TLS for \(redactedURL): \(error)",
                              hint: "check sslrootcert, or use sslmode=disable for a server without TLS")
        }
    }
}
