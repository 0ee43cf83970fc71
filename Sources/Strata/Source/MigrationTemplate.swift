import Foundation

/// The files `strata create NAME` writes: a new migration with the next version, in the layout of
/// the directory (an empty or missing directory gets the `dir` layout), with header comments in
/// the style of the seed templates.
///
/// Making a template only computes the files; ``write(to:)`` puts them on disk and never
/// overwrites anything.
///
/// ```swift
/// let directory = MigrationDirectory(path: "migrations")
/// let template = try MigrationTemplate.make(name: "add_user_settings", in: directory,
///                                           author: "dev@example.com")
/// // template.files: V004__add_user_settings/up.sql, down.sql, metadata.yaml
/// let written = try template.write(to: directory)
/// ```
public struct MigrationTemplate: Sendable, Hashable {
    /// One file to write.
    public struct File: Sendable, Hashable {
        /// The path relative to the migrations directory, for example `V004__add_users/up.sql`.
        public var relativePath: String
        /// The text to write.
        public var contents: String

        /// Creates a file.
        public init(relativePath: String, contents: String) {
            self.relativePath = relativePath
            self.contents = contents
        }
    }

    /// The layout the files follow.
    public var layout: MigrationLayout
    /// The new migration's version as written in the file names, for example `"004"`.
    public var version: String
    /// The migration's name, for example `"add_users"`.
    public var name: String
    /// The files, in the order they should be shown.
    public var files: [File]

    /// Creates a template from parts.
    public init(layout: MigrationLayout, version: String, name: String, files: [File]) {
        self.layout = layout
        self.version = version
        self.name = name
        self.files = files
    }

    /// Computes the files of a new migration named `name` in `directory`.
    ///
    /// - Parameters:
    ///   - name: The migration's name: lowercase letters, digits and underscores (`[a-z0-9_]+`),
    ///     not starting with `_`.
    ///   - directory: The migrations directory; it is loaded to find the layout and the newest version.
    ///     A missing directory counts as empty.
    ///   - layout: The layout to use; by default the directory's, or `dir` for an empty directory.
    ///   - author: Written into `metadata.yaml` (dir layout) and the header comments.
    ///   - now: The creation time, used for timestamp versions and the `Created:` header.
    /// - Throws: ``StrataError/Code/invalidSource`` for a bad name or a layout that differs from
    ///   the directory's, and any error of ``MigrationDirectory/load()``.
    public static func make(name: String, in directory: MigrationDirectory, layout: MigrationLayout? = nil,
                            author: String? = nil, now: Date = Date()) throws(StrataError) -> MigrationTemplate {
        try checkName(name)
        let loaded = directory.exists ? try directory.load() : LoadedMigrations(layout: nil, migrations: [])
        let chosen = layout ?? loaded.layout ?? .dir
        if chosen == .code {
            throw StrataError(.invalidSource, "code is not a directory layout: code migrations are registered with Migrator.registerMigration",
                              hint: "choose one of dir, flat, timestamp, updown, sections, flyway")
        }
        if let existing = loaded.layout, !compatible(existing, chosen) {
            throw StrataError(
                .invalidSource,
                "\(directory.path) uses the \(existing) layout; a \(chosen) migration would mix layouts",
                hint: "omit --layout to use the directory's layout, or use another directory")
        }
        if chosen == .timestamp, name == "rollback" || name.hasSuffix("_rollback") {
            throw StrataError(.invalidSource, "name '\(name)' ends with 'rollback', which marks rollback scripts in the timestamp layout",
                              hint: "choose a name that does not end with 'rollback'")
        }
        let existing = loaded.migrations.compactMap(\.version)
        let version = nextVersion(after: existing, layout: chosen, now: now, dieselStyle: usesDieselStyle(loaded))
        let flavor = loaded.sectionFlavor ?? .dbmate
        let files = makeFiles(layout: chosen, version: version, name: name, author: author, now: now,
                              flavor: flavor, diesel: usesDieselStyle(loaded))
        return MigrationTemplate(layout: chosen, version: version, name: name, files: files)
    }

    /// The version a new migration gets after `existing`, in the style of `layout`.
    ///
    /// - `dir`, `flat`, `sections`: the newest number plus one, zero-padded to the existing width
    ///   (at least 3 digits): `004`. Timestamp versions (14 digits) continue as UTC timestamps.
    /// - `updown`: the newest number plus one at the existing width (`45` after `44`), or a 14-digit
    ///   UTC timestamp when the existing versions are timestamps.
    /// - `timestamp`: `YYYYMMDD_HHMMSS` in UTC.
    /// - `flyway`: the newest version with its last component plus one (`1_3` after `1_2`).
    ///
    /// A time-based version that would not be newer than every existing one becomes one second
    /// after the newest.
    ///
    /// ```swift
    /// MigrationTemplate.nextVersion(after: [MigrationVersion("001")!, MigrationVersion("002")!], layout: .flat)
    /// // "003"
    /// ```
    public static func nextVersion(after existing: [MigrationVersion], layout: MigrationLayout,
                                   now: Date = Date(), dieselStyle: Bool = false) -> String {
        let latest = existing.max()
        let width = latest.map { widthOfSingleNumber($0.text) ?? 0 } ?? 0
        let latestIsTimestamp = latest.map { $0.components.count == 1 && $0.text.count == 14 } ?? false

        switch layout {
        case .timestamp:
            return timeVersion(after: latest, now: now, format: "yyyyMMdd_HHmmss")
        case .dir where dieselStyle:
            if let latest, latest.text.contains("-") {
                return timeVersion(after: latest, now: now, format: "yyyy-MM-dd-HHmmss")
            }
            return timeVersion(after: latest, now: now, format: "yyyyMMddHHmmss")
        case .flyway:
            guard let latest else { return "1" }
            return incrementLast(latest.text)
        case .dir, .flat, .sections, .updown, .code:
            if latestIsTimestamp {
                return timeVersion(after: latest, now: now, format: "yyyyMMddHHmmss")
            }
            let next = (latest?.components.first ?? 0) + 1
            let minimum = layout == .updown ? 1 : 3
            return pad(next, to: max(width, minimum))
        }
    }

    /// Writes the files under `directory`, creating folders as needed.
    ///
    /// - Returns: The paths written, as shown to the user.
    /// - Throws: ``StrataError/Code/invalidSource`` when a file already exists (nothing is written
    ///   then) or cannot be written.
    @discardableResult
    public func write(to directory: MigrationDirectory) throws(StrataError) -> [String] {
        let manager = FileManager.default
        let paths = files.map { directory.displayPath(of: $0.relativePath) }
        let clashes = paths.filter { manager.fileExists(atPath: $0) }
        if !clashes.isEmpty {
            throw StrataError(.invalidSource, "refusing to overwrite existing files", hint: "choose another name or remove the files first",
                              details: clashes)
        }
        for (file, path) in zip(files, paths) {
            let folder = (path as NSString).deletingLastPathComponent
            do {
                if !folder.isEmpty {
                    try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
                }
                try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
            } catch {
                throw StrataError(.invalidSource, "cannot write \(path): \(error.localizedDescription)",
                                  hint: "check that the migrations directory is writable")
            }
        }
        return paths
    }

    // MARK: Names

    private static func checkName(_ name: String) throws(StrataError) {
        let allowed = name.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
        guard !name.isEmpty, allowed else {
            throw StrataError(.invalidSource, "invalid migration name '\(name)'",
                              hint: "use lowercase letters, digits and underscores, for example add_user_settings")
        }
        guard !name.hasPrefix("_") else {
            throw StrataError(.invalidSource, "invalid migration name '\(name)': it must not start with '_'",
                              hint: "use lowercase letters, digits and underscores, for example add_user_settings")
        }
    }

    private static func compatible(_ a: MigrationLayout, _ b: MigrationLayout) -> Bool {
        if a == b { return true }
        let family: Set<MigrationLayout> = [.flat, .updown]
        return family.contains(a) && family.contains(b)
    }

    private static func usesDieselStyle(_ loaded: LoadedMigrations) -> Bool {
        guard loaded.layout == .dir else { return false }
        return loaded.migrations.contains { !$0.sourcePath.split(separator: "/").last!.hasPrefix("V") }
    }

    // MARK: Versions

    private static func widthOfSingleNumber(_ text: String) -> Int? {
        text.unicodeScalars.allSatisfy(MigrationFileName.isDigit) ? text.count : nil
    }

    private static func pad(_ number: UInt64, to width: Int) -> String {
        let digits = String(number)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func incrementLast(_ text: String) -> String {
        var head = Substring(text)
        var tail = Substring("")
        if let separator = text.lastIndex(where: { $0 == "." || $0 == "_" }) {
            head = text[...separator]
            tail = text[text.index(after: separator)...]
        } else {
            head = ""
            tail = Substring(text)
        }
        let next = (UInt64(tail) ?? 0) + 1
        return String(head) + pad(next, to: tail.count)
    }

    /// A time-based version from `now`; when that is not newer than `latest` (a clock behind the
    /// newest migration, or two migrations created in one second), one second after `latest`.
    private static func timeVersion(after latest: MigrationVersion?, now: Date, format: String) -> String {
        let text = stamp(now, format)
        guard let latest, let candidate = MigrationVersion(text), candidate <= latest else { return text }
        if let date = parseStamp(latest.text, format) {
            return stamp(date.addingTimeInterval(1), format)
        }
        // The newest version is not a time in this format: count on from it.
        let digits = String((latest.components.last ?? 0) + 1)
        return String(repeating: "0", count: max(0, text.count - digits.count)) + digits
    }

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.dateFormat = format
        return formatter
    }

    private static func parseStamp(_ text: String, _ format: String) -> Date? {
        formatter(format).date(from: text)
    }

    private static func stamp(_ date: Date, _ format: String) -> String {
        formatter(format).string(from: date)
    }

    // MARK: Files

    private static func makeFiles(layout: MigrationLayout, version: String, name: String, author: String?,
                                  now: Date, flavor: SectionParser.Flavor, diesel: Bool) -> [File] {
        let title = name.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
        let created = stamp(now, "yyyy-MM-dd'T'HH:mm:ss'Z'")
        let rule = "-- " + String(repeating: "=", count: 76)

        func header(_ kind: String, versionLine: Bool = true) -> String {
            var lines = ["-- \(kind): \(title)"]
            if versionLine { lines.append("-- Version: \(version)") }
            lines.append("-- Created: \(created)")
            if let author { lines.append("-- Author: \(author)") }
            if kind == "Migration" { lines.append("-- Description: \(HeaderComments.humanize(name).capitalizedFirst)") }
            lines.append(rule)
            return lines.joined(separator: "\n") + "\n"
        }
        let upBody = "\n-- Write the schema changes here, for example:\n-- ALTER TABLE users ADD COLUMN email TEXT;\n"
        let downBody = "\n-- Undo everything the up script does, newest change first.\n"
            + "-- A down script with only comments marks the migration as irreversible.\n"

        switch layout {
        case .dir:
            let folder = diesel ? "\(version)_\(name)" : "V\(version)__\(name)"
            var files = [
                File(relativePath: "\(folder)/up.sql", contents: header("Migration") + upBody),
                File(relativePath: "\(folder)/down.sql", contents: header("Rollback") + downBody),
            ]
            if !diesel {
                var yaml = [
                    "version: \(MigrationVersion(version).map { $0.components.map(String.init).joined(separator: ".") } ?? version)",
                    "description: \(JSONText.quote(HeaderComments.humanize(name).capitalizedFirst))",
                ]
                if let author { yaml.append("author: \(JSONText.quote(author))") }
                yaml += [
                    "created: \(JSONText.quote(created))",
                    "dependencies: []",
                    "tags: []",
                    "reversible: true",
                ]
                files.append(File(relativePath: "\(folder)/metadata.yaml", contents: yaml.joined(separator: "\n") + "\n"))
            }
            return files
        case .flat:
            return [
                File(relativePath: "\(version)_\(name).sql", contents: header("Migration") + upBody),
                File(relativePath: "\(version)_\(name).down.sql", contents: header("Rollback") + downBody),
            ]
        case .updown:
            return [
                File(relativePath: "\(version)_\(name).up.sql", contents: header("Migration") + upBody),
                File(relativePath: "\(version)_\(name).down.sql", contents: header("Rollback") + downBody),
            ]
        case .timestamp:
            return [
                File(relativePath: "\(version)_\(name).sql", contents: header("Migration", versionLine: false) + upBody),
                File(relativePath: "\(version)_\(name)_rollback.sql", contents: header("Rollback", versionLine: false) + downBody),
            ]
        case .flyway:
            return [
                File(relativePath: "V\(version)__\(name).sql", contents: header("Migration") + upBody),
                File(relativePath: "U\(version)__\(name).sql", contents: header("Rollback") + downBody),
            ]
        case .sections:
            let (upMarker, downMarker) = flavor == .goose
                ? ("-- +goose Up", "-- +goose Down") : ("-- migrate:up", "-- migrate:down")
            let contents = header("Migration") + "\n" + upMarker + "\n" + upBody + "\n" + downMarker + "\n" + downBody
            return [File(relativePath: "\(version)_\(name).sql", contents: contents)]
        case .code:
            return []
        }
    }
}

extension String {
    /// The string with its first character uppercased: `add users` → `Add users`.
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
}
