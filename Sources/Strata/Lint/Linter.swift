/// Static checks of migration scripts (SPEC §6): every statement of every script, split by
/// ``SQLSplitter``, checked against the rules of ``LintRule/all`` for one engine.
///
/// ```swift
/// let migrations = try MigrationDirectory(path: "migrations").load().migrations
/// let diagnostics = Linter(engine: .sqlite).lint(migrations)
/// for d in diagnostics { print(d) }   // migrations/003_x.sql:4:1: warning[STRATA002]: …
/// ```
///
/// Rules that depend on the database's state decide with what the migrations themselves say:
/// a table counts as *new* (empty, unused) when it was created earlier in the same migration, or,
/// with ``Scope/run``, earlier in any migration linted together (the pending migrations of one
/// `strata up`). Every other table counts as existing and possibly full. Foreign-key references are
/// learned from every `CREATE TABLE` read, including the `context` migrations.
///
/// Up scripts get every rule. Down scripts get only the rules about statements the engine cannot
/// run (``LintRule/sqliteUnsupportedAlter``, ``LintRule/sqliteDropColumnVersion``,
/// ``LintRule/pgConcurrentlyInTransaction``): dropping what the up script created is their job.
public struct Linter: Sendable {
    /// Which tables count as new.
    public enum Scope: Sendable, Hashable {
        /// Tables created earlier in the same migration's up script.
        case migration
        /// Tables created earlier in any of the migrations linted in one call.
        case run
    }

    /// The engine whose rules apply.
    public var engine: DatabaseEngine
    /// The oldest SQLite version the migrations must run on, as components (`[3, 35, 0]`);
    /// `nil` checks no version-dependent rule.
    public var sqliteVersion: [Int]?
    /// Which tables count as new.
    public var scope: Scope

    /// Creates a linter.
    /// - Parameters:
    ///   - engine: the engine whose rules apply.
    ///   - sqliteVersion: the oldest SQLite the migrations run on, such as `"3.31.1"`; `nil`
    ///     skips ``LintRule/sqliteDropColumnVersion``. The command line passes the linked library's version.
    ///   - scope: which tables count as new.
    public init(engine: DatabaseEngine, sqliteVersion: String? = nil, scope: Scope = .migration) {
        self.engine = engine
        self.sqliteVersion = sqliteVersion.map { $0.split(separator: ".").map { Int($0) ?? 0 } }
        self.scope = scope
    }

    /// Lints migrations in order.
    /// - Parameters:
    ///   - migrations: the migrations to check (their up, down scripts and whether they have a down).
    ///   - context: migrations applied before them: read for foreign-key references, not checked.
    /// - Returns: the findings, by file order of the migrations, then line and column.
    public func lint(_ migrations: [Migration], context: [Migration] = []) -> [LintDiagnostic] {
        // The state moves into each script's reader and back out (`swap`), never copied: a copy
        // per migration of the tables created so far made linting a run quadratic in its length.
        var state = LintSchemaState()
        for migration in context {
            var reader = ScriptLint(script: migration.up, role: .context, engine: engine, sqliteVersion: sqliteVersion,
                                    state: LintSchemaState(), migration: migration)
            swap(&reader.state, &state)
            reader.run()
            swap(&reader.state, &state)
            state.newTables = []
        }
        var diagnostics: [LintDiagnostic] = []
        for migration in migrations {
            if scope == .migration { state.newTables = [] }
            var up = ScriptLint(script: migration.up, role: .up, engine: engine, sqliteVersion: sqliteVersion,
                                state: LintSchemaState(), migration: migration)
            swap(&up.state, &state)
            up.run()
            up.checkDown()
            swap(&up.state, &state)
            var found = up.diagnostics
            if let down = migration.downScript {
                // Only the rules about statements the engine cannot run apply to a down script, and
                // none of them reads the state (see `ScriptLint.checksBehaviour`): an empty one
                // spares copying the schema learned so far for each down script.
                var reader = ScriptLint(script: down, role: .down, engine: engine, sqliteVersion: sqliteVersion,
                                        state: LintSchemaState(), migration: migration)
                reader.run()
                found += reader.diagnostics
            }
            diagnostics += Self.sorted(found, upPath: migration.up.path)
        }
        return diagnostics
    }

    /// Lints one script that is not part of a loaded migration (every up-script rule except
    /// ``LintRule/missingDown``).
    public func lint(script: MigrationScript) -> [LintDiagnostic] {
        var lint = ScriptLint(script: script, role: .up, engine: engine, sqliteVersion: sqliteVersion,
                              state: LintSchemaState(), migration: nil)
        lint.run()
        return Self.sorted(lint.diagnostics, upPath: script.path)
    }

    /// One migration's findings: the up script's first, then by line and column.
    private static func sorted(_ diagnostics: [LintDiagnostic], upPath: String) -> [LintDiagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let x = a.element.location, y = b.element.location
            let xUp = x.file == upPath ? 0 : 1, yUp = y.file == upPath ? 0 : 1
            if xUp != yUp { return xUp < yUp }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Whether any diagnostic is an error.
    public static func hasErrors(_ diagnostics: [LintDiagnostic]) -> Bool {
        diagnostics.contains { $0.severity == .error }
    }
}
