import GRDB
import GRDBSQLite
import Strata

/// Names and hints for SQLite result codes, shared by every part of the driver.
enum SQLiteErrors {
    /// `SQLITE_<NAME>` for a result code, with the extended name where it says more
    /// (for example `SQLITE_CONSTRAINT_UNIQUE`); the number when the code is unknown.
    static func codeName(_ code: Int32) -> String {
        let extended: [Int32: String] = [
            275: "SQLITE_CONSTRAINT_CHECK", 531: "SQLITE_CONSTRAINT_COMMITHOOK",
            787: "SQLITE_CONSTRAINT_FOREIGNKEY", 1043: "SQLITE_CONSTRAINT_FUNCTION",
            1299: "SQLITE_CONSTRAINT_NOTNULL", 1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
            1811: "SQLITE_CONSTRAINT_TRIGGER", 2067: "SQLITE_CONSTRAINT_UNIQUE",
            2323: "SQLITE_CONSTRAINT_VTAB", 2579: "SQLITE_CONSTRAINT_ROWID",
            2835: "SQLITE_CONSTRAINT_PINNED", 3091: "SQLITE_CONSTRAINT_DATATYPE",
            264: "SQLITE_READONLY_RECOVERY", 520: "SQLITE_READONLY_CANTLOCK",
            776: "SQLITE_READONLY_ROLLBACK", 1032: "SQLITE_READONLY_DBMOVED",
            1288: "SQLITE_READONLY_CANTINIT", 1544: "SQLITE_READONLY_DIRECTORY",
            261: "SQLITE_BUSY_RECOVERY", 517: "SQLITE_BUSY_SNAPSHOT", 773: "SQLITE_BUSY_TIMEOUT",
            262: "SQLITE_LOCKED_SHAREDCACHE", 267: "SQLITE_CORRUPT_VTAB",
            523: "SQLITE_CORRUPT_SEQUENCE", 779: "SQLITE_CORRUPT_INDEX",
            1: "SQLITE_ERROR", 257: "SQLITE_ERROR_MISSING_COLLSEQ", 513: "SQLITE_ERROR_RETRY",
        ]
        if let name = extended[code] { return name }
        let primary: [Int32: String] = [
            1: "SQLITE_ERROR", 2: "SQLITE_INTERNAL", 3: "SQLITE_PERM", 4: "SQLITE_ABORT",
            5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 7: "SQLITE_NOMEM", 8: "SQLITE_READONLY",
            9: "SQLITE_INTERRUPT", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT", 12: "SQLITE_NOTFOUND",
            13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN", 15: "SQLITE_PROTOCOL", 16: "SQLITE_EMPTY",
            17: "SQLITE_SCHEMA", 18: "SQLITE_TOOBIG", 19: "SQLITE_CONSTRAINT", 20: "SQLITE_MISMATCH",
            21: "SQLITE_MISUSE", 22: "SQLITE_NOLFS", 23: "SQLITE_AUTH", 24: "SQLITE_FORMAT",
            25: "SQLITE_RANGE", 26: "SQLITE_NOTADB",
        ]
        if let name = primary[code & 0xFF] { return name }
        return String(code)
    }

    /// The error code for an SQLite error met while running a statement of a script: `.database`
    /// (exit 2) when the environment is at fault rather than the SQL — the database is busy,
    /// read-only, damaged or not a database, its disk is full, or a file cannot be opened or
    /// written — and `otherwise` (`.migrationFailed`, `.verificationFailed`) for everything else.
    static func statementErrorCode(_ code: Int32, otherwise: StrataError.Code) -> StrataError.Code {
        switch code & 0xFF {
        case 5, 6, 8, 10, 11, 13, 14, 26: return .database
        default: return otherwise
        }
    }

    /// The hint Strata gives for an SQLite error met while running a migration's script.
    static func scriptHint(code: Int32, message: String, busyTimeout: Double) -> String? {
        let lower = message.lowercased()
        let primary = code & 0xFF
        if lower.contains("non-constant default") {
            return nonConstantDefaultHint
        }
        if lower.contains("cannot start a transaction within a transaction")
            || lower.contains("cannot commit - no transaction is active")
            || lower.contains("cannot rollback - no transaction is active") {
            return transactionControlHint
        }
        if lower.contains("within a transaction") {
            return "this statement cannot run inside a transaction: add `-- strata:no-transaction` to the "
                + "migration's first lines (or `transaction: false` in metadata.yaml) and keep it alone in its migration"
        }
        if lower.hasPrefix("no such table") {
            return "the table does not exist at this point: check the name, and that an earlier migration "
                + "creates it (`strata status` shows what is applied)"
        }
        if lower.hasPrefix("no such column") {
            return "check the column name against the table's current definition (`strata dump` shows the schema)"
        }
        if lower.contains("already exists") || lower.hasPrefix("duplicate column name") {
            return "the object already exists: the change may have been made outside Strata (see `strata baseline`), "
                + "or use IF NOT EXISTS"
        }
        if lower.contains("unique constraint failed") {
            return "existing rows already hold this value: remove or merge the duplicates first, "
                + "or use INSERT OR IGNORE / ON CONFLICT"
        }
        if lower.contains("foreign key constraint failed") {
            return "a row refers to a parent row that does not exist (or a parent row that is still referenced "
                + "was removed): insert or keep the parent rows first, or fix the data in the same migration"
        }
        if lower.contains("not null constraint failed") {
            return "a NOT NULL column got no value: give it a DEFAULT, or fill it before adding the constraint"
        }
        if lower.contains("syntax error") || lower.contains("incomplete input") {
            return "check the SQL near the reported position; this database runs SQLite "
                + String(cString: sqlite3_libversion()) + ", and newer syntax is not available"
        }
        switch primary {
        case 5, 6: return busyHint(busyTimeout)
        case 8: return readonlyHint(forCode: code)
        case 11, 26: return nil  // reported with the path by ScriptRunner.currentError
        case 13: return "the disk or the file-size limit is full: free space and run again"
        default: return nil
        }
    }

    /// The hint for a transaction statement (BEGIN/COMMIT/ROLLBACK) that Strata cannot run.
    static let transactionControlHint =
        "the script has its own BEGIN/COMMIT: Strata already runs each migration in a transaction; "
        + "remove them, or add `-- strata:no-transaction` to the migration's first lines"

    /// The hint for `Cannot add a column with non-constant default` (seed 000's troubleshooting).
    static let nonConstantDefaultHint =
        "SQLite cannot add a column whose default is not a constant (such as CURRENT_TIMESTAMP or "
        + "(datetime('now'))) to a table that has rows; do it in two steps: "
        + "1. `ALTER TABLE <table> ADD COLUMN <column> <type>;` (nullable, no default), "
        + "2. `UPDATE <table> SET <column> = <expression> WHERE <column> IS NULL;`"

    /// The hint for SQLITE_READONLY.
    static let readonlyHint =
        "the database is read-only for this process: check the permissions of the database file and "
        + "its directory (for example `chmod 644 <file>` and a writable directory for the journal)"

    /// The hint for an SQLITE_READONLY code: the directory variant says what to fix.
    static func readonlyHint(forCode code: Int32) -> String {
        if code == 1544 {  // SQLITE_READONLY_DIRECTORY
            return "the database's directory is not writable for this process, and SQLite creates its journal "
                + "file there: make the directory writable (for example `chmod u+w <directory>`); the file itself "
                + "needs write permission too (`chmod 644 <file>`)"
        }
        if code == 1032 {  // SQLITE_READONLY_DBMOVED
            return "the database file was deleted, moved or replaced while Strata was using it, so SQLite "
                + "refused to write more; the migrations that finished went to the old file. Find out what "
                + "replaced it, then run `strata status` on the file now at that path"
        }
        return readonlyHint
    }

    /// The hint for SQLITE_BUSY and SQLITE_LOCKED.
    static func busyHint(_ timeout: Double?) -> String {
        let waited = timeout.map { " (waited \(formatSeconds($0)) s)" } ?? ""
        return "another process is using the database\(waited): retry when it is done, stop the other process, "
            + "or wait longer with --lock-timeout SECONDS"
    }

    /// The hint for a damaged or foreign file.
    static func restoreHint(path: String) -> String {
        "the file \(path) is damaged or is not an SQLite database: restore it from a backup with "
            + "`strata restore <newest backup>` (`strata backups` lists them)"
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(s)
    }

    /// A `.database` error for a failure that is not tied to a script location.
    static func databaseError(_ error: any Error, path: String, busyTimeout: Double,
                              context: String? = nil) -> StrataError {
        if let strata = error as? StrataError { return strata }
        guard let dbError = error as? DatabaseError else {
            return StrataError(.database, (context.map { "\($0): " } ?? "") + "\(error)")
        }
        let code = dbError.extendedResultCode.rawValue
        let primary = code & 0xFF
        var message = dbError.message ?? String(cString: sqlite3_errstr(code))
        if let context { message = "\(context): \(message)" }
        let hint: String?
        switch primary {
        case 5, 6: hint = busyHint(busyTimeout)
        case 8: hint = readonlyHint(forCode: code)
        case 11, 26: hint = restoreHint(path: path)
        case 14: hint = "check that the path is right and its directory exists and is writable"
        default: hint = nil
        }
        return StrataError(.database, message, hint: hint, databaseCode: codeName(code))
    }
}
