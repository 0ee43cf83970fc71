extension Migrator {
    /// Adds every migration of a source: a ``MigrationDirectory``, ``BundledMigrations``, or your
    /// own ``MigrationSource``. The source is read once, now.
    ///
    /// ```swift
    /// try migrator.add(MigrationDirectory(path: "db/migrations"))
    /// ```
    /// - Returns: What was loaded (layout and warnings about ignored files, also logged at debug level).
    /// - Throws: What the source throws (exit 2), and ``StrataError/Code/duplicateVersion`` when a
    ///   version is already taken by a migration of another source.
    @discardableResult
    public mutating func add(_ source: some MigrationSource) throws(StrataError) -> LoadedMigrations {
        let loaded = try source.load()
        for warning in loaded.warnings {
            logger.debug("source warning", metadata: ["strata.warning": "\(warning)"])
        }
        try merge(loaded.migrations)
        logger.debug("added migrations", metadata: ["strata.count": "\(loaded.migrations.count)",
                                                    "strata.layout": "\(loaded.layout?.rawValue ?? "empty")"])
        return loaded
    }

    /// Registers a migration written as a SQL string, for example generated at run time or too
    /// small for a file of its own. It is recorded as a `sql` migration with the checksum of
    /// `sql`, exactly like a file; directives (`-- strata:no-transaction`, …) and a
    /// `-- Description:` header comment work as in files.
    ///
    /// ```swift
    /// try migrator.registerMigration("003", "add_users_email_index",
    ///                                sql: "CREATE INDEX idx_users_email ON users(email);",
    ///                                down: "DROP INDEX idx_users_email;")
    /// ```
    /// - Parameters:
    ///   - version: The version (`003`, `1.2`, `20241227_143000`).
    ///   - name: A short name, for example `add_users_email_index`.
    ///   - description: Shown in status; default: the header comment, else the name with spaces.
    ///   - sql: The up script.
    ///   - down: The down script; `nil` when it cannot be rolled back.
    ///   - file: Where it is registered; error locations point there (line numbers count from
    ///     `line`). Leave the default.
    ///   - line: See `file`.
    /// - Throws: ``StrataError`` `.invalidSource` for a version that does not parse or an empty
    ///   name, `.invalidFile` for a bad directive, `.duplicateVersion` when the version is taken.
    public mutating func registerMigration(_ version: String, _ name: String, description: String? = nil,
                                           sql: String, down: String? = nil,
                                           file: String = #fileID, line: Int = #line) throws(StrataError) {
        let parsed = try Self.registeredVersion(version, name: name, file: file, line: line)
        let up = MigrationScript(path: file, sql: sql, firstLine: line)
        var downPart = Migration.Down.none
        var downOptions = ExecutionOptions()
        if let down {
            let script = MigrationScript(path: file, sql: down, firstLine: line)
            downPart = script.isEffectivelyEmpty ? .irreversible(path: file) : .script(script)
            downOptions = try MigrationBuilder.options(metadata: MigrationMetadata(), sectionReason: nil, script: script)
        }
        let text = description ?? HeaderComments.description(of: sql) ?? HeaderComments.humanize(name)
        let migration = Migration(
            version: parsed, name: name, description: text, kind: .sql, layout: .code,
            sourcePath: "\(file):\(line)", up: up, down: downPart,
            options: try MigrationBuilder.options(metadata: MigrationMetadata(), sectionReason: nil, script: up),
            downOptions: downOptions)
        try merge([migration])
    }

    /// Registers a migration written in Swift: `up` runs inside the migration's transaction with a
    /// ``MigrationDatabase``, and commits together with the history row (`type = swift`).
    ///
    /// ```swift
    /// try migrator.registerMigration("012", "add_token_families", revision: "1") { db in
    ///     if try await !db.columnExists("family_id", in: "tokens") {
    ///         try await db.execute("ALTER TABLE tokens ADD COLUMN family_id TEXT")
    ///     }
    ///     try await db.execute("UPDATE tokens SET family_id = id WHERE family_id IS NULL")
    /// }
    /// ```
    ///
    /// **Checksum.** A closure has no text to hash, so the history's checksum is made from
    /// `revision` (``SwiftMigrationCode/checksum(revision:)``). Change the revision when you change
    /// what the closure does, as you would edit a SQL file: an applied migration whose revision
    /// changed shows as `changed` and stops ``migrate(to:onEvent:)`` (exit 3) until you roll it
    /// back, or accept the new revision with ``repair(dryRun:beforeChange:onEvent:)`` when the
    /// database already has its effect. Keep the revision unchanged for edits that do not change
    /// the effect (renames, comments). The `strata` command line does not see Swift migrations:
    /// it lists their history rows as `missing`, as a warning that does not stop it.
    ///
    /// Swift migrations always run in a transaction, with foreign keys checked before commit on
    /// SQLite. Write them to be idempotent where a database may already have the change.
    ///
    /// - Parameters:
    ///   - version: The version (`012`).
    ///   - name: A short name, for example `add_token_families`.
    ///   - revision: Any text you change when the effect changes, for example `"1"`, `"2"`.
    ///   - description: Shown in status; default: the name with spaces.
    ///   - file: Where it is registered (recorded as the migration's `script`). Leave the default.
    ///   - line: See `file`.
    ///   - up: Applies the migration.
    ///   - down: Rolls it back; `nil` when it cannot be rolled back.
    /// - Throws: ``StrataError`` `.invalidSource` for a version that does not parse or an empty
    ///   name, `.duplicateVersion` when the version is taken.
    public mutating func registerMigration(_ version: String, _ name: String, revision: String,
                                           description: String? = nil,
                                           file: String = #fileID, line: Int = #line,
                                           up: @escaping SwiftMigrationCode.Body,
                                           down: SwiftMigrationCode.Body? = nil) throws(StrataError) {
        let parsed = try Self.registeredVersion(version, name: name, file: file, line: line)
        let text = description ?? HeaderComments.humanize(name)
        let upScript = MigrationScript(path: file, sql: "-- Swift migration \(version) \(name), revision \(revision)\n",
                                       firstLine: line)
        let downPart: Migration.Down = down == nil ? .none : .script(MigrationScript(
            path: file, sql: "-- Swift migration \(version) \(name), down\n", firstLine: line))
        let migration = Migration(
            version: parsed, name: name, description: text, kind: .swift, layout: .code,
            sourcePath: "\(file):\(line)", up: upScript, down: downPart,
            checksum: SwiftMigrationCode.checksum(revision: revision),
            code: SwiftMigrationCode(revision: revision, up: up, down: down))
        try merge([migration])
    }

    // MARK: - Internals

    private static func registeredVersion(_ version: String, name: String, file: String,
                                          line: Int) throws(StrataError) -> MigrationVersion {
        let location = SourceLocation(file: file, line: line, column: 1)
        guard let parsed = MigrationVersion(version) else {
            throw StrataError(.invalidSource, "'\(version)' is not a migration version", location: location,
                              hint: "use digits separated by '.', '_' or '-', for example 003 or 1.2")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StrataError(.invalidSource, "migration \(version) has an empty name", location: location,
                              hint: "give a short name such as add_users_email_index")
        }
        return parsed
    }

    /// Adds migrations, refusing a version (or repeatable name) that is already taken.
    private mutating func merge(_ added: [Migration]) throws(StrataError) {
        var taken: [AnyHashable: Migration] = [:]
        func key(_ m: Migration) -> AnyHashable { m.version.map(AnyHashable.init) ?? AnyHashable(m.id) }
        for m in migrations { taken[key(m)] = m }
        var clashes: [(Migration, Migration)] = []
        for m in added {
            if let other = taken[key(m)] { clashes.append((other, m)) }
            taken[key(m)] = m
        }
        if !clashes.isEmpty {
            let versions = clashes.map { $0.1.id }
            throw StrataError(
                .duplicateVersion,
                versions.count == 1 ? "version \(versions[0]) is used by more than one migration"
                    : "versions \(versions.joined(separator: ", ")) are each used by more than one migration",
                hint: "give each migration its own version (versions compare numerically: 001 equals 1)",
                details: clashes.flatMap { [$0.0.sourcePath, $0.1.sourcePath] })
        }
        migrations = (migrations + added).sorted(by: Planner.order)
    }
}
