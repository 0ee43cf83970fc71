import PostgresNIO
import Strata

/// Translates PostgresNIO errors into ``StrataError``s: the SQLSTATE as
/// ``StrataError/databaseCode``, the server's message, detail, context and hint, and the
/// statement-relative `position` mapped to `file:line:column`. `PSQLError.description` is
/// deliberately empty of detail, so nothing here relies on it.
enum PostgresErrors {
    /// A server or connection error raised while `statement` (of `script`) ran.
    static func statementError(_ error: any Error, code: StrataError.Code, script: MigrationScript,
                               statement: SQLStatement) -> StrataError {
        guard let psql = unwrap(error) as? PSQLError else {
            return StrataError(code, "\(error)", location: script.location(ofUTF8Offset: statement.utf8Range.lowerBound))
        }
        guard let info = psql.serverInfo, let sqlState = info[.sqlState] else {
            return connectionLost(psql)
        }
        var offset = statement.utf8Range.lowerBound
        if let text = info[.position], let position = Int(text), position > 0 {
            offset += utf8Length(ofFirst: position - 1, scalarsOf: statement.text)
        }
        var mapped = serverError(info, sqlState: sqlState, code: errorCode(sqlState, otherwise: code))
        mapped.location = script.location(ofUTF8Offset: offset)
        return mapped
    }

    /// Whether running the statement again may give another answer, or the same error better
    /// located: a server error, but not a lost connection (SQLSTATE class 08) nor the operator's
    /// cancel, termination or shutdown (class 57), which must stop the run.
    static func isRetriable(_ error: any Error) -> Bool {
        guard let psql = unwrap(error) as? PSQLError, let sqlState = psql.serverInfo?[.sqlState] else { return false }
        return !sqlState.hasPrefix("08") && !sqlState.hasPrefix("57")
    }

    /// A server or connection error outside a migration script (history, locks, reads).
    static func databaseError(_ error: any Error, context: String? = nil) -> StrataError {
        if let strata = error as? StrataError { return strata }
        guard let psql = unwrap(error) as? PSQLError else {
            return StrataError(.database, (context.map { "\($0): " } ?? "") + "\(error)")
        }
        guard let info = psql.serverInfo, let sqlState = info[.sqlState] else {
            var lost = connectionLost(psql)
            if let context { lost.message = "\(context): \(lost.message)" }
            return lost
        }
        var mapped = serverError(info, sqlState: sqlState, code: .database)
        if let context { mapped.message = "\(context): \(mapped.message)" }
        return mapped
    }

    /// An error of `PostgresConnection.connect`, with the endpoint and redacted URL in the message.
    static func connectError(_ error: any Error, settings: PostgresConnectionSettings) -> StrataError {
        let target = settings.redactedURL
        guard let psql = unwrap(error) as? PSQLError else {
            return StrataError(.database, "cannot connect to \(target): \(error)",
                               hint: reachHint(settings))
        }
        if let info = psql.serverInfo, let sqlState = info[.sqlState] {
            let message = info[.message] ?? "the server refused the connection"
            let hint = connectHint(sqlState: sqlState, settings: settings) ?? info[.hint] ?? reachHint(settings)
            return StrataError(.database, "cannot connect to \(target): \(message)", hint: hint, databaseCode: sqlState)
        }
        switch psql.code {
        case .sslUnsupported:
            return StrataError(.database, "cannot connect to \(target): the server does not support TLS (sslmode=\(settings.sslMode.rawValue))",
                               hint: "use sslmode=prefer or sslmode=disable, or enable ssl on the server")
        case .authMechanismRequiresPassword:
            return StrataError(.database, "cannot connect to \(target): the server asks for a password and none was given",
                               hint: noPasswordHint)
        case .unsupportedAuthMechanism:
            return StrataError(.database, "cannot connect to \(target): the server asks for an authentication method Strata does not support",
                               hint: "use password, md5 or scram-sha-256 authentication for this user in pg_hba.conf")
        default:
            let cause = psql.underlying.map { networkReason(describe($0)) } ?? "\(psql.code)"
            return StrataError(.database, "cannot connect to \(target) (\(settings.endpoint)): \(cause)",
                               hint: reachHint(settings))
        }
    }

    /// Strata's advice when the server refuses a connection with `sqlState`; `nil` for other states.
    static func connectHint(sqlState: String, settings: PostgresConnectionSettings) -> String? {
        switch sqlState {
        case "28P01":
            return "the server refused the password (authentication failed): check the user and password in the "
                + "database URL (or PGPASSWORD); the password is never shown"
        case "28000":
            return "the server's pg_hba.conf does not let user \(settings.user) connect to database \(settings.database) "
                + "from here, or the role does not exist: check the user, or ask the server's administrator"
        case "3D000":
            return "create it first (`createdb \(settings.database)` or CREATE DATABASE), or fix the database name in the URL"
        case "53300":
            return "the server has no free connection slots; try again later or raise max_connections"
        case "57P03":
            return "the server is starting up or shutting down; try again in a moment"
        default:
            return nil
        }
    }

    private static let noPasswordHint = "put the password in the URL (postgres://user:password@host/db) or in PGPASSWORD"

    /// Advice for a client program (`pg_dump`, `psql`) that could not connect, from the words of
    /// libpq in its error output; `nil` when they do not say it was the connection.
    static func clientProgramHint(_ output: String, settings: PostgresConnectionSettings) -> String? {
        let states = [("password authentication failed", "28P01"), ("no pg_hba.conf entry", "28000"),
                      ("role \"\(settings.user)\" does not exist", "28000"), ("database \"\(settings.database)\" does not exist", "3D000"),
                      ("too many clients", "53300"), ("remaining connection slots", "53300"),
                      ("the database system is starting up", "57P03"), ("the database system is shutting down", "57P03")]
        if let state = states.first(where: { output.contains($0.0) }) {
            return connectHint(sqlState: state.1, settings: settings)
        }
        if output.contains("no password supplied") { return noPasswordHint }
        let unreachable = ["Connection refused", "could not translate host name", "No such file or directory",
                           "timeout expired", "Network is unreachable", "No route to host"]
        return unreachable.contains(where: output.contains) ? reachHint(settings) : nil
    }

    /// The usual network failures in a few words, else NIO's own description.
    static func networkReason(_ text: String) -> String {
        let known = [("Connection refused", "connection refused"), ("UnknownHost", "unknown host"),
                     ("Name or service not known", "unknown host"), ("No such file or directory", "no such socket"),
                     ("timed out", "timed out"), ("connectTimeout", "timed out"), ("Network is unreachable", "network unreachable"),
                     ("No route to host", "no route to host")]
        return known.first { text.contains($0.0) }?.1 ?? text
    }

    private static func reachHint(_ settings: PostgresConnectionSettings) -> String {
        if let socketDirectory = settings.socketDirectory {
            return "check that the server is running and listens on the socket \(settings.endpoint) "
                + "(`pg_isready -h \(socketDirectory) -p \(settings.port)`); for TCP give a host in the URL"
        }
        return "check that the server is running and accepts TCP connections on \(settings.endpoint) "
            + "(`pg_isready -h \(settings.host ?? "localhost") -p \(settings.port)`)"
    }

    /// `PostgresTransactionError` and friends hide the server's error inside.
    static func unwrap(_ error: any Error) -> any Error {
        if let tx = error as? PostgresTransactionError {
            if let e = tx.closureError { return unwrap(e) }
            if let e = tx.beginError { return e }
            if let e = tx.commitError { return e }
            if let e = tx.rollbackError { return e }
        }
        return error
    }

    /// The StrataError code for a server error: connection-level SQLSTATE classes (08 connection,
    /// 57P01 admin shutdown, 53 insufficient resources, 58 system error) are `.database`, the rest
    /// `otherwise`.
    static func errorCode(_ sqlState: String, otherwise: StrataError.Code) -> StrataError.Code {
        if sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || sqlState.hasPrefix("58")
            || ["57P01", "57P02", "57P03"].contains(sqlState) {
            return .database
        }
        return otherwise
    }

    private static func serverError(_ info: PSQLError.ServerInfo, sqlState: String, code: StrataError.Code) -> StrataError {
        var details: [String] = []
        if let detail = info[.detail] { details.append("detail: \(detail)") }
        if let context = info[.locationContext] { details.append("context: \(context.replacingOccurrences(of: "\n", with: "\n  "))") }
        let hints = [info[.hint], hint(forSQLState: sqlState)].compactMap { $0 }
        return StrataError(code, info[.message] ?? "the server reported an error",
                           hint: hints.isEmpty ? nil : hints.joined(separator: "; "),
                           details: details, databaseCode: sqlState)
    }

    /// Strata's advice for common SQLSTATEs of migration scripts.
    static func hint(forSQLState sqlState: String) -> String? {
        switch sqlState {
        case "55P03":
            return "the migration waited longer than lock_timeout for a lock another session holds (see pg_locks); "
                + "retry when the table is less busy, or give the migration a longer `-- strata:lock-timeout`"
        case "57014":
            return "a statement ran longer than statement_timeout (or was cancelled); give the migration a longer "
                + "`-- strata:statement-timeout`, or split the work"
        case "25001", "2D000":
            return "this statement cannot run inside a transaction: add `-- strata:no-transaction` at the top of the "
                + "script so the migration runs outside one"
        case "40P01":
            return "another session deadlocked with the migration; run it again when the other work is done"
        case "42501":
            return "the database user lacks a privilege this statement needs; grant it, or run the migration as the owner"
        case "42P07", "42701", "42710":
            return "the object already exists: the database may be ahead of its history; compare with `strata status`, "
                + "then fix the migration or use `strata baseline`"
        case "42P01", "42703", "42883", "3F000":
            return "the object does not exist: check its name and schema (search_path), and the order of the migrations"
        case "42601":
            return "fix the SQL syntax at this position"
        default:
            return nil
        }
    }

    /// A connection that broke while a statement ran.
    private static func connectionLost(_ psql: PSQLError) -> StrataError {
        let cause = psql.underlying.map { describe($0) } ?? "\(psql.code)"
        return StrataError(.database, "the connection to PostgreSQL failed: \(cause)",
                           hint: "check that the server is still running; a migration that was running in a transaction was rolled back by the server")
    }

    private static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        return text.isEmpty ? String(describing: type(of: error)) : text
    }

    /// The UTF-8 length of the first `count` Unicode scalars of `text`.
    static func utf8Length(ofFirst count: Int, scalarsOf text: String) -> Int {
        var length = 0
        var seen = 0
        for scalar in text.unicodeScalars {
            if seen == count { break }
            length += UTF8.width(scalar)
            seen += 1
        }
        return length
    }
}
