/// A lint rule: a stable code, the engines it applies to, a severity, a one-line explanation and
/// a suggested fix. ``all`` is the catalogue; the README's rule list is generated from the same
/// facts.
///
/// Codes never change meaning and are never reused: `STRATA…` rules apply to every engine,
/// `SQLITE…` rules to SQLite, `PG…` rules to PostgreSQL.
public struct LintRule: Sendable, Hashable, Identifiable {
    /// The stable code, for example `PG001`.
    public let code: String
    /// The engines the rule checks.
    public let engines: Set<DatabaseEngine>
    /// The default severity of its findings.
    public let severity: LintSeverity
    /// What the rule catches, in one line.
    public let explanation: String
    /// What to do instead.
    public let fix: String
    /// Whether ``Linter`` checks it statically; `false` for findings of `strata rehearse`.
    public let isStatic: Bool

    public var id: String { code }

    private init(_ code: String, _ engines: Set<DatabaseEngine>, _ severity: LintSeverity, _ explanation: String,
                 fix: String, isStatic: Bool = true) {
        self.code = code
        self.engines = engines
        self.severity = severity
        self.explanation = explanation
        self.fix = fix
        self.isStatic = isStatic
    }

    private static let both: Set<DatabaseEngine> = [.sqlite, .postgres]

    /// A migration has no down script, or an empty one: it cannot be rolled back.
    public static let missingDown = LintRule(
        "STRATA001", both, .warning, "the migration has no down script (or an empty one), so it cannot be rolled back",
        fix: "write a down script that undoes the up script; if it truly cannot be undone, say so with `-- strata:lint-ignore STRATA001`")
    /// `DROP TABLE` deletes the table's rows.
    public static let dropTable = LintRule(
        "STRATA002", both, .warning, "DROP TABLE deletes the table and every row in it",
        fix: "drop a table only after no code uses it, and back up its rows (or rename it) first")
    /// `DROP COLUMN` deletes the column's values.
    public static let dropColumn = LintRule(
        "STRATA003", both, .warning, "DROP COLUMN deletes the column's values",
        fix: "stop reading and writing the column first, deploy, then drop it in a later migration")
    /// A down script that does not restore the schema its up script started from.
    public static let downDoesNotUndo = LintRule(
        "STRATA004", both, .error, "the down script does not undo the up script (found by `strata rehearse`)",
        fix: "make the down script restore exactly the schema before the up script: same tables, columns, indexes, triggers, views",
        isStatic: false)
    /// A `-- strata:lint-ignore` directive names no known rule.
    public static let unknownIgnore = LintRule(
        "STRATA005", both, .warning, "`-- strata:lint-ignore` names a code that is not a lint rule",
        fix: "use a code from `strata lint --rules`, for example `-- strata:lint-ignore STRATA002`")

    /// SQLite: `ADD COLUMN … NOT NULL` without a default fails on a table with rows.
    public static let sqliteNotNullWithoutDefault = LintRule(
        "SQLITE001", [.sqlite], .error,
        "ADD COLUMN … NOT NULL without a default fails with \"Cannot add a NOT NULL column with default value NULL\" once the table has rows",
        fix: "give the column a constant default (NOT NULL DEFAULT 0), or rebuild the table")
    /// SQLite: `ADD COLUMN` with a non-constant default fails on a table with rows.
    public static let sqliteNonConstantDefault = LintRule(
        "SQLITE002", [.sqlite], .error,
        "ADD COLUMN with a non-constant default (CURRENT_TIMESTAMP, an expression in parentheses) fails with \"Cannot add a column with non-constant default\" once the table has rows",
        fix: "add the column without a default (or with a constant one) and fill it with UPDATE, or rebuild the table")
    /// SQLite: ALTER TABLE forms SQLite does not have.
    public static let sqliteUnsupportedAlter = LintRule(
        "SQLITE003", [.sqlite], .error,
        "SQLite's ALTER TABLE only renames a table, renames, adds or drops a column; ALTER COLUMN, MODIFY, ADD/DROP CONSTRAINT, DROP INDEX and the like are syntax errors",
        fix: "rebuild the table: CREATE TABLE t_new (…); INSERT INTO t_new SELECT …; DROP TABLE t; ALTER TABLE t_new RENAME TO t (or DROP INDEX for an index)")
    /// SQLite: `DROP COLUMN` needs SQLite 3.35.
    public static let sqliteDropColumnVersion = LintRule(
        "SQLITE004", [.sqlite], .error, "ALTER TABLE … DROP COLUMN needs SQLite 3.35.0 or newer",
        fix: "rebuild the table without the column, or require SQLite 3.35+ (pass --sqlite-version to lint for the oldest one you deploy to)")
    /// SQLite: a table rebuild drops a table that other tables reference.
    public static let sqliteParentRebuild = LintRule(
        "SQLITE005", [.sqlite], .warning,
        "DROP TABLE on a table other tables reference: with foreign keys enforced, ON DELETE CASCADE children lose their rows and other references break",
        fix: "keep Strata's default foreign-key handling (off during the migration, foreign_key_check before commit); never use `-- strata:foreign-keys immediate` for a rebuild")

    /// PostgreSQL: `CREATE INDEX` without `CONCURRENTLY` blocks writes to an existing table.
    public static let pgIndexWithoutConcurrently = LintRule(
        "PG001", [.postgres], .warning,
        "CREATE INDEX without CONCURRENTLY blocks every write to an existing table until the index is built",
        fix: "CREATE INDEX CONCURRENTLY in a migration of its own with `-- strata:no-transaction`")
    /// PostgreSQL: `CONCURRENTLY` cannot run inside a transaction.
    public static let pgConcurrentlyInTransaction = LintRule(
        "PG002", [.postgres], .error,
        "CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a transaction block",
        fix: "put the statement alone in a migration marked `-- strata:no-transaction`, without BEGIN/COMMIT")
    /// PostgreSQL: `ADD COLUMN` with a volatile default rewrites the table.
    public static let pgVolatileDefault = LintRule(
        "PG003", [.postgres], .warning,
        "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), serial) rewrites the whole table under an ACCESS EXCLUSIVE lock",
        fix: "add the column without a default (or with a constant one), backfill it in batches, then SET DEFAULT")
    /// PostgreSQL: `SET NOT NULL` scans the table under an exclusive lock.
    public static let pgSetNotNull = LintRule(
        "PG004", [.postgres], .warning,
        "ALTER COLUMN … SET NOT NULL scans the whole table under an ACCESS EXCLUSIVE lock",
        fix: "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c; then SET NOT NULL (PostgreSQL 12+ skips the scan) and drop the check")
    /// PostgreSQL: a constraint added without `NOT VALID` is validated under a lock.
    public static let pgConstraintWithoutNotValid = LintRule(
        "PG005", [.postgres], .warning,
        "ADD CONSTRAINT (CHECK, FOREIGN KEY) without NOT VALID checks every row while holding a lock that blocks writes; UNIQUE/PRIMARY KEY builds an index under it",
        fix: "ADD CONSTRAINT … NOT VALID, then VALIDATE CONSTRAINT in a later migration; for UNIQUE, CREATE UNIQUE INDEX CONCURRENTLY then ADD CONSTRAINT … USING INDEX")
    /// PostgreSQL: changing a column's type usually rewrites the table.
    public static let pgColumnTypeChange = LintRule(
        "PG006", [.postgres], .warning,
        "ALTER COLUMN … TYPE rewrites the table (and its indexes) under an ACCESS EXCLUSIVE lock, except for a few binary-compatible changes",
        fix: "add a new column of the new type, backfill it, switch the code over, then drop the old column")
    /// PostgreSQL: renames break code that still uses the old name.
    public static let pgRename = LintRule(
        "PG007", [.postgres], .warning,
        "renaming a table or column breaks every running query that still uses the old name",
        fix: "add the new name (a new column, or a view for a table), move the code over, then remove the old name later")
    /// PostgreSQL: a locking statement without `lock_timeout` can queue every other query behind it.
    public static let pgMissingLockTimeout = LintRule(
        "PG008", [.postgres], .warning,
        "a statement that takes a strong lock on an existing table runs without lock_timeout: while it waits for the lock, every other query on the table waits behind it",
        fix: "add `-- strata:lock-timeout 5s` to the migration (or SET lock_timeout = '5s' before the statement)")

    /// Every rule, in code order.
    public static let all: [LintRule] = [
        missingDown, dropTable, dropColumn, downDoesNotUndo, unknownIgnore,
        sqliteNotNullWithoutDefault, sqliteNonConstantDefault, sqliteUnsupportedAlter, sqliteDropColumnVersion, sqliteParentRebuild,
        pgIndexWithoutConcurrently, pgConcurrentlyInTransaction, pgVolatileDefault, pgSetNotNull, pgConstraintWithoutNotValid,
        pgColumnTypeChange, pgRename, pgMissingLockTimeout,
    ]

    /// The rule with this code, if any (codes are matched case-insensitively).
    public static func named(_ code: String) -> LintRule? {
        let upper = code.uppercased()
        return all.first { $0.code == upper }
    }
}
