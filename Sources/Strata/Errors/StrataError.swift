/// The one error type Strata's library and command line report.
///
/// Its ``description`` reads like a compiler diagnostic so editors can jump to it:
///
/// ```text
/// migrations/003_add_email.sql:12:5: error: duplicate column name: email
/// hint: the column already exists; make the migration idempotent or remove the statement
/// ```
///
/// Every ``Code`` maps to a documented exit code (``Code/exitCode``). Messages never contain
/// database passwords.
public struct StrataError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code. A struct rather than an enum so that new codes do
    /// not break callers' exhaustive switches.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The snake_case name used in JSON output, for example `"migration_failed"`.
        public let name: String
        /// The process exit code the command line uses for this error (SPEC §4).
        public let exitCode: Int32

        private init(_ name: String, _ exitCode: Int32) {
            self.name = name
            self.exitCode = exitCode
        }

        /// The name, for example `migration_failed`.
        public var description: String { name }

        /// A migration's script failed; it was rolled back (exit 1).
        public static let migrationFailed = Code("migration_failed", 1)
        /// A post-migration verification failed; the migration was rolled back (exit 1).
        public static let verificationFailed = Code("verification_failed", 1)
        /// A migration cannot be rolled back: no down script, or an empty one (exit 1).
        public static let irreversible = Code("irreversible", 1)
        /// Bad configuration or options that are not usage errors (exit 2).
        public static let configuration = Code("configuration", 2)
        /// The database cannot be opened or used (exit 2).
        public static let database = Code("database", 2)
        /// A migrations directory is missing, mixes layouts or holds badly named files (exit 2).
        public static let invalidSource = Code("invalid_source", 2)
        /// Two migrations have the same version (exit 2).
        public static let duplicateVersion = Code("duplicate_version", 2)
        /// A migration file cannot be read as UTF-8 text or is malformed (exit 2).
        public static let invalidFile = Code("invalid_file", 2)
        /// `metadata.yaml` or a config file is not valid YAML or has wrong types (exit 2).
        public static let invalidMetadata = Code("invalid_metadata", 2)
        /// Validation found problems: changed, missing, out-of-order or failed migrations (exit 3).
        public static let validationFailed = Code("validation_failed", 3)
        /// An applied migration's file changed since it was applied (exit 3).
        public static let checksumMismatch = Code("checksum_mismatch", 3)
        /// Another runner holds the lock and it was not released in time (exit 4).
        public static let lockTimeout = Code("lock_timeout", 4)
        /// A protected environment needs confirmation, which was refused or impossible (exit 5).
        public static let confirmationRequired = Code("confirmation_required", 5)
        /// The command line was used wrongly (exit 64).
        public static let usage = Code("usage", 64)
        /// The requested version or name does not exist (exit 2).
        public static let unknownVersion = Code("unknown_version", 2)
        /// The run stopped cleanly between two migrations on SIGINT or a cancelled task (exit 130).
        public static let interrupted = Code("interrupted", 130)
        /// The run stopped cleanly between two migrations on SIGTERM (exit 143).
        public static let terminated = Code("terminated", 143)
    }

    /// What went wrong, as a code.
    public var code: Code
    /// One lowercase sentence stating the fact, without a trailing period.
    public var message: String
    /// Where, when the error concerns a place in a migration file.
    public var location: SourceLocation?
    /// What to do next.
    public var hint: String?
    /// Further lines shown under the message: offending files, expected and actual checksums.
    public var details: [String]
    /// The SQLSTATE or SQLite result code name, when the database reported the error.
    public var databaseCode: String?

    /// Creates an error.
    public init(_ code: Code, _ message: String, location: SourceLocation? = nil, hint: String? = nil,
                details: [String] = [], databaseCode: String? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.details = details
        self.databaseCode = databaseCode
    }

    /// The error as a compiler-style diagnostic, several lines when there are details or a hint.
    public var description: String {
        var head = ""
        if let location { head = "\(location): " }
        head += "error: \(message)"
        if let databaseCode { head += " [\(databaseCode)]" }
        var lines = [head]
        lines += details.map { "  \($0)" }
        if let hint { lines.append("hint: \(hint)") }
        return lines.joined(separator: "\n")
    }
}
