import Foundation

/// Does the work of ``MigrationDirectory/load()``: list, classify, check names, detect the layout,
/// read the files and build the migrations.
struct DirectoryLoader {
    let directory: MigrationDirectory

    private var path: String { directory.path }

    /// One classified entry of the directory.
    private struct Entry {
        var name: String
        var isDirectory: Bool
        var kind: MigrationFileName
        /// The name as listed in messages: directories get a trailing `/`.
        var shownName: String { isDirectory ? name + "/" : name }
    }

    /// The families of names that may not be mixed in one directory.
    private enum Family: Int, Comparable {
        case dirPrefixed, dirDiesel, flatFamily, sections, timestamp, flyway

        static func < (lhs: Family, rhs: Family) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    func load() throws(StrataError) -> LoadedMigrations {
        let fs = try openRoot()
        guard let listing = SourceFileSystem.listing(in: path) else {
            throw StrataError(.invalidSource, "migrations directory \(path) cannot be read",
                              hint: "check the directory's permissions")
        }

        // 1. Classify every name; collect naming errors and ignored entries.
        var entries: [Entry] = []
        entries.reserveCapacity(listing.count)
        var violations: [String] = []
        var directoriesNamedLikeFiles: [String] = []
        var ignored: [String] = []
        for (name, knownType) in listing {
            // The path is only needed when the listing did not give the type, or for an error.
            var full: String { directory.displayPath(of: name) }
            switch knownType ?? SourceFileSystem.type(of: full) {
            case .directory:
                let asFile = MigrationFileName.classifyFile(name)
                if name.hasSuffix(".sql"), asFile != .ignored {
                    directoriesNamedLikeFiles.append(full)
                    continue
                }
                let kind = MigrationFileName.classifyDirectory(name)
                entries.append(Entry(name: name, isDirectory: true, kind: kind))
            case .file:
                var kind = MigrationFileName.classifyFile(name)
                if kind == .ignored, !name.contains("."),
                   case .directory = MigrationFileName.classifyDirectory(name) {
                    kind = .violation(reason: "is a file; a dir-layout migration is a directory holding up.sql")
                }
                entries.append(Entry(name: name, isDirectory: false, kind: kind))
            case .brokenLink, .other:
                let kind = MigrationFileName.classifyFile(name)
                switch kind {
                case .ignored, .violation:
                    entries.append(Entry(name: name, isDirectory: false, kind: kind))
                default:
                    _ = try fs.readText(full)  // throws: broken link or not a regular file
                }
            }
        }
        violations += paddingViolations(entries)
        for entry in entries {
            switch entry.kind {
            case .violation(let reason): violations.append("\(entry.shownName): \(reason)")
            case .ignored: ignored.append(directory.displayPath(of: entry.shownName))
            default: break
            }
        }

        violations.sort()
        if !directoriesNamedLikeFiles.isEmpty {
            throw StrataError(
                .invalidFile,
                directoriesNamedLikeFiles.count == 1
                    ? "\(directoriesNamedLikeFiles[0]) is a directory, but its name is that of a migration file"
                    : "\(directoriesNamedLikeFiles.count) directories are named like migration files",
                hint: "a migration script must be a regular file; rename or remove the directory",
                details: directoriesNamedLikeFiles.count == 1 ? [] : directoriesNamedLikeFiles)
        }
        if !violations.isEmpty {
            throw StrataError(
                .invalidSource,
                violations.count == 1
                    ? "a name in \(path) looks like a migration but breaks the naming rules"
                    : "\(violations.count) names in \(path) look like migrations but break the naming rules",
                hint: "rename them to the directory's layout (for example V001__add_users/, 001_add_users.sql, "
                    + "1_add_users.up.sql, 20241227_143000_add_users.sql, V1__add_users.sql)",
                details: violations)
        }

        let migrationEntries = entries.filter { $0.kind != .ignored }
        var warnings = ignored.map { "ignored \($0): not a migration" }

        // Every migration file is read below (its checksum is checked on every command): read them
        // ahead, several at a time.
        fs.prefetch(migrationEntries.filter { !$0.isDirectory }.map { directory.displayPath(of: $0.name) })

        // 2. Read the plain `<v>_<name>.sql` files: their content tells flat from sections.
        var texts: [String: String] = [:]
        var flavors: [String: SectionParser.Flavor] = [:]
        for entry in migrationEntries {
            if case .plainUp = entry.kind {
                let text = try fs.readText(directory.displayPath(of: entry.name))
                texts[entry.name] = text
                if let flavor = SectionParser.flavor(of: text) { flavors[entry.name] = flavor }
            }
        }

        // 3. One layout per directory.
        let entryFamilies = migrationEntries.map { family(of: $0, isSections: flavors[$0.name] != nil) }
        guard let family = entryFamilies.first else {
            return LoadedMigrations(layout: nil, migrations: [], warnings: warnings, ignored: ignored)
        }
        // One family (the usual case): the entries are used as they are, not copied per family.
        if entryFamilies.contains(where: { $0 != family }) {
            var families: [Family: [Entry]] = [:]
            for (entry, family) in zip(migrationEntries, entryFamilies) { families[family, default: []].append(entry) }
            throw mixedLayouts(families)
        }

        // 4. Two migrations with one version (`001` = `1`), before any of them is read.
        try checkDuplicateNames(migrationEntries)

        // 5. Build the migrations.
        var builder = MigrationBuilder(directory: directory, fs: fs)
        let layout: MigrationLayout
        var sectionFlavor: SectionParser.Flavor?
        switch family {
        case .dirPrefixed, .dirDiesel:
            layout = .dir
            try builder.buildDirectories(migrationEntries.map(\.name), kinds: migrationEntries.map(\.kind))
        case .flatFamily:
            let anyPlain = migrationEntries.contains { if case .plainUp = $0.kind { return true } else { return false } }
            layout = anyPlain ? .flat : .updown
            try builder.buildFileFamily(files: migrationEntries.lazy.map { ($0.name, $0.kind) }, layout: layout, texts: texts)
        case .timestamp:
            layout = .timestamp
            try builder.buildFileFamily(files: migrationEntries.lazy.map { ($0.name, $0.kind) }, layout: layout, texts: texts)
        case .flyway:
            layout = .flyway
            try builder.buildFileFamily(files: migrationEntries.lazy.map { ($0.name, $0.kind) }, layout: layout, texts: texts)
        case .sections:
            layout = .sections
            var counts: [SectionParser.Flavor: Int] = [:]
            for entry in migrationEntries { counts[flavors[entry.name]!, default: 0] += 1 }
            sectionFlavor = counts.max { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }?.key
            if counts.count > 1 {
                let goose = migrationEntries.filter { flavors[$0.name] == .goose }.map(\.name)
                let dbmate = migrationEntries.filter { flavors[$0.name] == .dbmate }.map(\.name)
                warnings.append("\(path) mixes goose (\(goose.joined(separator: ", "))) and dbmate "
                                + "(\(dbmate.joined(separator: ", "))) annotations")
            }
            try builder.buildSections(migrationEntries.compactMap { entry in
                guard case .plainUp(let version, let name) = entry.kind else { return nil }
                return (fileName: entry.name, version: version, name: name, text: texts[entry.name] ?? "")
            })
        }
        warnings += builder.warnings
        ignored += builder.ignored

        let migrations = builder.migrations.sorted { a, b in
            switch (a.version, b.version) {
            case let (x?, y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return a.name < b.name
            }
        }
        return LoadedMigrations(layout: layout, sectionFlavor: sectionFlavor, migrations: migrations,
                                warnings: warnings, ignored: ignored)
    }

    // MARK: Steps

    private func openRoot() throws(StrataError) -> SourceFileSystem {
        switch SourceFileSystem.type(of: path) {
        case .directory:
            break
        case .other where !FileManager.default.fileExists(atPath: path):
            throw StrataError(.invalidSource, "migrations directory \(path) does not exist",
                              hint: "run `strata init` to create it, or pass --migrations DIR")
        case .file, .other:
            throw StrataError(.invalidSource, "\(path) is not a directory",
                              hint: "pass the directory that holds the migrations with --migrations DIR")
        case .brokenLink:
            throw StrataError(.invalidSource, "migrations directory \(path) is a broken symbolic link",
                              hint: "run `strata init` to create it, or pass --migrations DIR")
        }
        guard let real = SourceFileSystem.canonicalPath(path) else {
            throw StrataError(.invalidSource, "migrations directory \(path) does not exist",
                              hint: "run `strata init` to create it, or pass --migrations DIR")
        }
        return SourceFileSystem(rootRealPath: real, rootPath: path)
    }

    private func family(of entry: Entry, isSections: Bool) -> Family {
        switch entry.kind {
        case .directory(_, _, let style): return style == .prefixed ? .dirPrefixed : .dirDiesel
        case .plainUp: return isSections ? .sections : .flatFamily
        case .suffixed: return .flatFamily
        case .timestamped: return .timestamp
        case .flyway, .repeatable: return .flyway
        case .violation, .ignored: return .flatFamily  // not reached: filtered out before
        }
    }

    private func mixedLayouts(_ families: [Family: [Entry]]) -> StrataError {
        var groups: [(String, [String])] = []
        for family in families.keys.sorted() {
            let entries = families[family]!
            switch family {
            case .dirPrefixed: groups.append(("dir", entries.map(\.shownName)))
            case .dirDiesel: groups.append(("dir (diesel)", entries.map(\.shownName)))
            case .flatFamily:
                let plain = entries.filter { if case .plainUp = $0.kind { return true } else { return false } }
                let suffixed = entries.filter { if case .plainUp = $0.kind { return false } else { return true } }
                if !plain.isEmpty { groups.append(("flat", plain.map(\.shownName))) }
                if !suffixed.isEmpty { groups.append(("updown", suffixed.map(\.shownName))) }
            case .sections: groups.append(("sections", entries.map(\.shownName)))
            case .timestamp: groups.append(("timestamp", entries.map(\.shownName)))
            case .flyway: groups.append(("flyway", entries.map(\.shownName)))
            }
        }
        return StrataError(
            .invalidSource,
            "\(path) mixes layouts: " + groups.map(\.0).joined(separator: ", "),
            hint: "keep one layout per directory: rename the odd files or move them to a directory of their own",
            details: groups.map { "\($0.0): \($0.1.joined(separator: ", "))" })
    }

    /// Throws ``StrataError/Code/duplicateVersion`` when two up scripts or migration directories
    /// share a version (`001` = `1`), before any of them is read.
    private func checkDuplicateNames(_ entries: [Entry]) throws(StrataError) {
        var byVersion: [MigrationVersion: [String]] = [:]
        for entry in entries {
            let isUp: Bool
            switch entry.kind {
            case .plainUp, .directory: isUp = true
            case .suffixed(_, _, let part), .timestamped(_, _, let part), .flyway(_, _, let part): isUp = part == .up
            case .repeatable, .violation, .ignored: isUp = false
            }
            guard isUp, let text = entry.kind.versionText, let version = MigrationVersion(text) else { continue }
            byVersion[version, default: []].append(directory.displayPath(of: entry.name))
        }
        let clashes = byVersion.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        guard !clashes.isEmpty else { return }
        let versions = clashes.map { $0.key.text }
        throw StrataError(
            .duplicateVersion,
            versions.count == 1 ? "version \(versions[0]) is used by more than one migration"
                : "versions \(versions.joined(separator: ", ")) are each used by more than one migration",
            hint: "give each migration its own version (versions compare numerically: 001 equals 1)",
            details: clashes.flatMap(\.value))
    }

    /// Versions shorter than the zero-padded width the other names use (`V1__x/` among `V001__…`),
    /// except those equal to another version (duplicates are reported as such).
    private func paddingViolations(_ entries: [Entry]) -> [String] {
        var byFamily: [Family: [(Entry, String)]] = [:]
        for entry in entries {
            let family: Family
            switch entry.kind {
            case .directory(_, _, let style): family = style == .prefixed ? .dirPrefixed : .dirDiesel
            case .plainUp, .suffixed: family = .flatFamily
            default: continue
            }
            guard let version = entry.kind.versionText,
                  version.unicodeScalars.allSatisfy(MigrationFileName.isDigit) else { continue }
            byFamily[family, default: []].append((entry, version))
        }
        var problems: [String] = []
        for family in byFamily.keys.sorted() {
            let items = byFamily[family]!
            let paddedWidth = items.filter { $0.1.count > 1 && $0.1.hasPrefix("0") }.map(\.1.count).max()
            guard let paddedWidth else { continue }
            // Usually every version has the same width: nothing more to look at.
            guard items.contains(where: { $0.1.count < paddedWidth }) else { continue }
            // A short version equal to a padded one (`1` beside `001`) is a duplicate, reported as such.
            var texts: [MigrationVersion: Set<String>] = [:]
            for (_, version) in items { texts[MigrationVersion(version)!, default: []].insert(version) }
            for (entry, version) in items where version.count < paddedWidth {
                if texts[MigrationVersion(version)!]!.count > 1 { continue }
                problems.append("\(entry.shownName): version \(version) is not zero-padded to \(paddedWidth) digits like the others")
            }
        }
        return problems
    }
}
