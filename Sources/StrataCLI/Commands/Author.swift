import ArgumentParser
import Foundation
import Strata

extension MigrationLayout: ArgumentParser.ExpressibleByArgument {
    /// The directory layouts (`code` is for migrations registered in code, not files).
    public static var allValueStrings: [String] { allCases.filter { $0 != .code }.map(\.rawValue) }
}

extension StrataCommand {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create strata.yml and a migrations directory with a first example migration.",
            discussion: "Example: strata init && strata up")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Option(help: "The layout of the example migration (default: dir).") var layout: MigrationLayout?

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let console = context.console
                var written: [String] = []
                let configPath = context.options.config ?? "strata.yml"
                if !FileManager.default.fileExists(atPath: configPath) {
                    try Data(StarterFiles.config(migrations: context.migrationsPath).utf8).write(to: URL(fileURLWithPath: configPath))
                    written.append(configPath)
                } else {
                    console.note("note: \(configPath) exists; left as it is")
                }
                let directory = MigrationDirectory(path: context.migrationsPath)
                if directory.exists, try !directory.load().migrations.isEmpty {
                    console.note("note: \(context.migrationsPath) already has migrations; no example added")
                } else {
                    try FileManager.default.createDirectory(atPath: context.migrationsPath, withIntermediateDirectories: true)
                    var template = try MigrationTemplate.make(name: "create_example", in: directory, layout: layout ?? .dir)
                    template.files = template.files.map { file in
                        var f = file
                        f.contents = StarterFiles.fill(f.relativePath, f.contents)
                        return f
                    }
                    written += try template.write(to: directory)
                }
                let backupsPattern = StarterFiles.backupsPattern(context)
                let ignore = try GitIgnoreFile.ensure(backupsPattern, comment: "Strata's database backups",
                                                      at: ".gitignore")
                console.json(.object([
                    ("created", .array(written.map(JSONValue.string))),
                    ("gitignore", .object([("path", ".gitignore"), ("pattern", .string(backupsPattern)),
                                           ("change", .string(ignore.rawValue))])),
                ]))
                for path in written { console.line("created \(path)") }
                switch ignore {
                case .created: console.line("created .gitignore (ignores \(backupsPattern))")
                case .appended: console.line("added \(backupsPattern) to .gitignore")
                case .unchanged: break
                }
                if !written.isEmpty { console.line("Next: `strata up` applies the example; `strata create NAME` adds a migration.") }
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create a new migration with the next version in the directory's layout.",
            discussion: "Example: strata create add_user_preferences --author dev@example.com")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand
        @Argument(help: "The migration's name: lowercase letters, digits and underscores.") var name: String
        @Option(help: "The layout (default: the directory's, or dir when it is empty).") var layout: MigrationLayout?
        @Option(help: "The author, written into the header and metadata.") var author: String?

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let directory = MigrationDirectory(path: context.migrationsPath)
                let template = try MigrationTemplate.make(name: name, in: directory, layout: layout, author: author)
                try FileManager.default.createDirectory(atPath: context.migrationsPath, withIntermediateDirectories: true)
                let written = try template.write(to: directory)
                context.console.json(.object([
                    ("version", .string(template.version)),
                    ("layout", .string(template.layout.rawValue)),
                    ("files", .array(written.map(JSONValue.string))),
                ]))
                for path in written { context.console.line("created \(path)") }
            }
        }
    }
}

/// The files `strata init` writes.
enum StarterFiles {
    /// The `.gitignore` pattern of the backups directory: `backups/` beside the database, as a
    /// path relative to the project when the database's path is relative.
    static func backupsPattern(_ context: CommandContext) -> String {
        let dir = context.config.backups.dir ?? "backups"
        guard !dir.hasPrefix("/"), let path = context.database.path, !path.hasPrefix("/") else { return dir + "/" }
        let parent = (path as NSString).deletingLastPathComponent
        return (parent.isEmpty || parent == "." ? dir : (parent as NSString).appendingPathComponent(dir)) + "/"
    }

    static func config(migrations: String) -> String {
        """
        # Strata configuration. Every key is optional; ${VAR} expands from the environment (nothing
        # is executed). Command-line options win over this file.

        # The migrations directory (--migrations/-m).
        migrations: \(migrations)

        # The history table (--history-table); the audit log is <name> with _log.
        # history_table: strata_schema_history

        # Seconds to wait for another runner's lock before giving up with exit 4 (--lock-timeout).
        # lock_timeout: 60

        # SQLite backups, taken before every mutating command (`strata backups` lists them).
        # backups:
        #   dir: backups        # relative to the database's directory
        #   keep: 10            # the newest 10 are kept
        #   compress: false     # true needs the gzip program

        # Named databases, chosen with --env NAME. Without --env the database comes from
        # --database, STRATA_DATABASE_URL, DATABASE_URL or DB_FILE, else sqlite:strata.db.
        environments:
          dev:
            database: sqlite:strata.db
        #  production:
        #    database: "${DATABASE_URL}"
        #    migrations: migrations
        #    protected: true    # show the plan and ask for the name; refuse without a terminal unless --yes

        """
    }

    /// Puts a working example into the generated up and down scripts.
    static func fill(_ path: String, _ contents: String) -> String {
        let up = "CREATE TABLE example (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL\n);\n"
        let down = "DROP TABLE example;\n"
        func appending(_ text: String, to base: String) -> String {
            base.hasSuffix("\n") ? base + text : base + "\n" + text
        }
        for marker in ["-- migrate:down", "-- +goose Down"] where contents.contains(marker) {
            let parts = contents.components(separatedBy: marker)
            return appending(up, to: parts[0]) + "\n" + marker + appending(down, to: parts.dropFirst().joined(separator: marker))
        }
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if file.hasSuffix(".yaml") { return contents }
        if file == "down.sql" || file.hasSuffix(".down.sql") || file.hasSuffix("_rollback.sql") || file.hasPrefix("U") {
            return appending(down, to: contents)
        }
        return appending(up, to: contents)
    }
}
