import Foundation
import Testing

/// The text output of the main commands, compared with golden files (pipes, `COLUMNS=80`, so
/// no colour, no live progress, and tables fitted to 80 columns).
@Suite("Golden text output")
struct GoldenOutputTests {
    static let migrations = [
        "001_create_users.sql": "-- Description: create the users table\nCREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
        "001_create_users.down.sql": "DROP TABLE users;\n",
        "002_add_orders.sql": """
            -- Description: add the orders table with a description long enough to be cut at eighty columns
            CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));

            """,
        "003_add_index.sql": "CREATE INDEX orders_user ON orders(user_id);\n",
    ]

    static let environment = ["COLUMNS": "80"]

    /// A database with 001 and 002 applied, whose history rows (and audit log) are rewritten
    /// to fixed times, user and host so the output is the same on every machine.
    static func project() throws -> TemporaryDirectory {
        let tmp = try TemporaryDirectory()
        try tmp.write(migrations, under: "migrations")
        let up = try StrataProcess.strata(["-d", "app.db", "up", "--target", "002", "--no-backup"], in: tmp.url, environment: environment)
        #expect(up.exitCode == 0, "\(up)")
        let triggers = try StrataProcess.sqlite3(tmp.path("app.db"), "SELECT name FROM sqlite_master WHERE type = 'trigger';")
        var sql = triggers.split(separator: "\n").map { "DROP TRIGGER \"\($0)\";" }.joined(separator: "\n")
        sql += """

            UPDATE strata_schema_history SET applied_at = '2026-01-02T03:04:' || printf('%02d', CAST(version AS INTEGER)) || '.000Z', applied_by = 'alice',
              hostname = 'build-1', execution_time_ms = 3;
            UPDATE strata_schema_log SET at = '2026-01-02T03:04:' || printf('%02d', CAST(version AS INTEGER)) || '.000Z', actor = 'alice',
              hostname = 'build-1', execution_time_ms = 3;
            """
        _ = try StrataProcess.sqlite3(tmp.path("app.db"), sql)
        return tmp
    }

    @Test func statusListAndHistory() throws {
        let tmp = try Self.project()
        for command in ["status", "list", "history"] {
            let r = try StrataProcess.strata(["-d", "app.db", command], in: tmp.url, environment: Self.environment)
            #expect(r.exitCode == 0 && r.stderr.isEmpty, "\(r)")
            try Golden.check(command, Golden.normalize(r.stdout, tmp: tmp.url))
        }
    }

    @Test func upPrintsOneLinePerMigrationThenASummaryTable() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "app.db", "up"], in: tmp.url, environment: Self.environment)
        #expect(r.exitCode == 0, "\(r)")
        try Golden.check("up", Golden.normalize(r.stdout, tmp: tmp.url))
        // --quiet: the result only.
        let quiet = try StrataProcess.strata(["-d", "quiet.db", "up", "--quiet"], in: tmp.url, environment: Self.environment)
        #expect(quiet.exitCode == 0 && quiet.stderr.isEmpty, "\(quiet)")
        try Golden.check("up-quiet", Golden.normalize(quiet.stdout, tmp: tmp.url))
    }

    @Test func verboseListsTheStatementsOfEachMigration() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(Self.migrations, under: "migrations")
        let r = try StrataProcess.strata(["-d", "app.db", "up", "--verbose", "--no-backup"], in: tmp.url, environment: Self.environment)
        #expect(r.exitCode == 0, "\(r)")
        try Golden.check("up-verbose", Golden.normalize(r.stdout, tmp: tmp.url))
    }

    @Test func aFailedMigrationReadsLikeACompilerError() throws {
        let tmp = try TemporaryDirectory()
        var files = Self.migrations
        files["003_add_index.sql"] = "CREATE INDEX orders_user\n    ON orders(customer_id);\n"
        try tmp.write(files, under: "migrations")
        let r = try StrataProcess.strata(["-d", "app.db", "up", "--no-backup"], in: tmp.url, environment: Self.environment)
        #expect(r.exitCode == 1, "\(r)")
        try Golden.check("up-failure.stdout", Golden.normalize(r.stdout, tmp: tmp.url))
        try Golden.check("up-failure.stderr", Golden.normalize(r.stderr, tmp: tmp.url))
    }

    @Test func validateNamesTheEditedFile() throws {
        let tmp = try Self.project()
        try tmp.write(["001_create_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"], under: "migrations")
        let r = try StrataProcess.strata(["-d", "app.db", "validate"], in: tmp.url, environment: Self.environment)
        #expect(r.exitCode == 3, "\(r)")
        try Golden.check("validate-changed", Golden.normalize(r.stdout, tmp: tmp.url))
    }
}
