import Yams

/// The contents of `strata.yml` (SPEC §4). Every key is optional; `${VAR}` in values expands from
/// the environment (plain substitution, nothing is executed).
///
/// ```yaml
/// migrations: db/migrations
/// history_table: strata_schema_history
/// lock_timeout: 60
/// backups: { dir: backups, keep: 10, compress: false }
/// postgres: { lock_timeout: 5s, statement_timeout: 10min }
/// environments:
///   dev: { database: "sqlite:dev.db" }
///   production: { database: "${DATABASE_URL}", protected: true }
/// ```
public struct ProjectConfiguration: Sendable, Hashable {
    /// One entry of `environments`.
    public struct Environment: Sendable, Hashable {
        /// The database URL.
        public var database: String?
        /// A migrations directory for this environment only.
        public var migrations: String?
        /// Whether mutating commands need confirmation.
        public var protected: Bool
    }

    /// Backup settings.
    public struct Backups: Sendable, Hashable {
        /// Where backups go (default `backups` beside the database).
        public var dir: String?
        /// How many to keep (default 10).
        public var keep: Int?
        /// Whether to gzip them.
        public var compress: Bool?
    }

    /// PostgreSQL session settings for every migration of a run (a migration's own
    /// `-- strata:lock-timeout` / `metadata.yaml` values take precedence).
    public struct Postgres: Sendable, Hashable {
        /// `lock_timeout`, for example `5s`.
        public var lockTimeout: String?
        /// `statement_timeout`, for example `10min`.
        public var statementTimeout: String?
    }

    /// The migrations directory.
    public var migrations: String?
    /// The history table name.
    public var historyTable: String?
    /// Backup settings.
    public var backups: Backups
    /// Seconds to wait for the lock.
    public var lockTimeout: Double?
    /// `lint: {block_on: error|warning}`: `strata up` refuses to run when the linter finds this
    /// severity or worse in a pending migration; `nil` (the default) only prints the findings.
    public var lintBlockOn: LintSeverity?
    /// PostgreSQL timeouts for the run (`postgres:` in the file).
    public var postgres: Postgres
    /// Environments by name.
    public var environments: [String: Environment]
    /// The file it came from.
    public var path: String?

    /// An empty configuration.
    public init() {
        backups = Backups()
        postgres = Postgres()
        environments = [:]
    }

    /// Parses YAML text.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - path: the file, for error locations.
    ///   - environment: variables for `${VAR}` expansion.
    /// - Throws: ``StrataError`` (`invalid_metadata`, exit 2) with file:line:column.
    public static func parse(_ text: String, path: String, environment: [String: String]) throws(StrataError) -> ProjectConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw StrataError(.invalidMetadata, "\(path) is not valid YAML: \(YAMLErrors.message(error))",
                              location: YAMLErrors.location(error, file: path))
        } catch {
            throw StrataError(.invalidMetadata, "\(path) is not valid YAML: \(error)", location: SourceLocation(file: path, line: 1, column: 1))
        }
        var config = ProjectConfiguration()
        config.path = path
        guard let node else { return config }
        guard let map = node.mapping else {
            throw StrataError(.invalidMetadata, "\(path) must be a mapping of settings", location: YAMLErrors.location(node, file: path))
        }
        func string(_ n: Node, _ key: String) throws(StrataError) -> String {
            guard let s = n.scalar?.string else {
                throw StrataError(.invalidMetadata, "'\(key)' must be a string", location: YAMLErrors.location(n, file: path))
            }
            return expand(s, environment: environment)
        }
        func int(_ n: Node, _ key: String) throws(StrataError) -> Int {
            guard let v = Int(try string(n, key)) else {
                throw StrataError(.invalidMetadata, "'\(key)' must be a whole number", location: YAMLErrors.location(n, file: path))
            }
            return v
        }
        func double(_ n: Node, _ key: String) throws(StrataError) -> Double {
            guard let v = Double(try string(n, key)) else {
                throw StrataError(.invalidMetadata, "'\(key)' must be a number of seconds", location: YAMLErrors.location(n, file: path))
            }
            return v
        }
        func bool(_ n: Node, _ key: String) throws(StrataError) -> Bool {
            switch try string(n, key).lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: throw StrataError(.invalidMetadata, "'\(key)' must be true or false", location: YAMLErrors.location(n, file: path))
            }
        }
        for (k, v) in map {
            let key = k.scalar?.string ?? ""
            switch key {
            case "migrations": config.migrations = try string(v, key)
            case "history_table": config.historyTable = try string(v, key)
            case "lock_timeout": config.lockTimeout = try double(v, key)
            case "backups":
                guard let b = v.mapping else {
                    throw StrataError(.invalidMetadata, "'backups' must be a mapping (dir, keep, compress)", location: YAMLErrors.location(v, file: path))
                }
                for (bk, bv) in b {
                    let name = bk.scalar?.string ?? ""
                    switch name {
                    case "dir": config.backups.dir = try string(bv, name)
                    case "keep": config.backups.keep = try int(bv, name)
                    case "compress": config.backups.compress = try bool(bv, name)
                    default: throw StrataError(.invalidMetadata, "unknown key 'backups.\(name)'", location: YAMLErrors.location(bk, file: path),
                                               hint: "known keys: dir, keep, compress")
                    }
                }
            case "lint": config.lintBlockOn = try LintSettings.blockOn(v, path: path)
            case "postgres":
                guard let p = v.mapping else {
                    throw StrataError(.invalidMetadata, "'postgres' must be a mapping (lock_timeout, statement_timeout)",
                                      location: YAMLErrors.location(v, file: path))
                }
                for (pk, pv) in p {
                    let name = pk.scalar?.string ?? ""
                    guard name == "lock_timeout" || name == "statement_timeout" else {
                        throw StrataError(.invalidMetadata, "unknown key 'postgres.\(name)'", location: YAMLErrors.location(pk, file: path),
                                          hint: "known keys: lock_timeout, statement_timeout")
                    }
                    let value = try string(pv, name)
                    guard ScriptDirectives.isDuration(value) else {
                        throw StrataError(.invalidMetadata, "'postgres.\(name)' must be a duration such as 5s, 500ms or 2min",
                                          location: YAMLErrors.location(pv, file: path))
                    }
                    if name == "lock_timeout" { config.postgres.lockTimeout = value } else { config.postgres.statementTimeout = value }
                }
            case "environments":
                guard let envs = v.mapping else {
                    throw StrataError(.invalidMetadata, "'environments' must be a mapping of names", location: YAMLErrors.location(v, file: path))
                }
                for (ek, ev) in envs {
                    let name = ek.scalar?.string ?? ""
                    guard let fields = ev.mapping else {
                        throw StrataError(.invalidMetadata, "environment '\(name)' must be a mapping (database, migrations, protected)",
                                          location: YAMLErrors.location(ev, file: path))
                    }
                    var env = Environment(database: nil, migrations: nil, protected: false)
                    for (fk, fv) in fields {
                        let f = fk.scalar?.string ?? ""
                        switch f {
                        case "database": env.database = try string(fv, f)
                        case "migrations": env.migrations = try string(fv, f)
                        case "protected": env.protected = try bool(fv, f)
                        default: throw StrataError(.invalidMetadata, "unknown key '\(f)' in environment '\(name)'",
                                                   location: YAMLErrors.location(fk, file: path), hint: "known keys: database, migrations, protected")
                        }
                    }
                    config.environments[name] = env
                }
            default:
                throw StrataError(.invalidMetadata, "unknown key '\(key)'", location: YAMLErrors.location(k, file: path),
                                  hint: "known keys: migrations, history_table, backups, lock_timeout, lint, postgres, environments")
            }
        }
        return config
    }

    /// Replaces `${NAME}` with the variable's value (empty when unset). `$` alone stays.
    public static func expand(_ text: String, environment: [String: String]) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let name = String(rest[start.upperBound..<end])
            out += environment[name] ?? ""
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}

/// Locations and messages from Yams errors and nodes.
enum YAMLErrors {
    static func location(_ node: Node, file: String) -> SourceLocation {
        if let mark = node.mark { return SourceLocation(file: file, line: mark.line, column: mark.column) }
        return SourceLocation(file: file, line: 1, column: 1)
    }

    static func location(_ error: YamlError, file: String) -> SourceLocation {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            return SourceLocation(file: file, line: 1, column: 1)
        }
    }

    static func message(_ error: YamlError) -> String {
        switch error {
        case let .scanner(context, problem, _, _), let .parser(context, problem, _, _), let .composer(context, problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        default:
            return "\(error)"
        }
    }
}
