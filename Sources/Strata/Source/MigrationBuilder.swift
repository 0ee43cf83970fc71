import Foundation

/// Builds ``Migration`` values from the classified entries of one layout: pairs up and down
/// scripts, reads and checks the files, and works out descriptions and execution options.
struct MigrationBuilder {
    let directory: MigrationDirectory
    let fs: SourceFileSystem
    private(set) var migrations: [Migration] = []
    private(set) var warnings: [String] = []
    private(set) var ignored: [String] = []

    init(directory: MigrationDirectory, fs: SourceFileSystem) {
        self.directory = directory
        self.fs = fs
    }

    /// One versioned piece of a file family: an up, down or verify file.
    private struct VersionedFile {
        var fileName: String
        var version: MigrationVersion
        var name: String
        var versionText: String { version.text }
    }

    // MARK: flat, updown, timestamp, flyway

    /// Builds migrations from files that each hold one script (every layout but `dir` and `sections`).
    mutating func buildFileFamily(files: some Collection<(String, MigrationFileName)>, layout: MigrationLayout,
                                  texts: [String: String]) throws(StrataError) {
        var ups: [VersionedFile] = []
        var downs: [VersionedFile] = []
        var verifies: [VersionedFile] = []
        var repeatables: [(fileName: String, name: String)] = []
        for (fileName, kind) in files {
            func add(_ versionText: String, _ name: String, to list: inout [VersionedFile]) {
                // The classifier only produces parseable versions.
                let version = MigrationVersion(versionText)!
                list.append(VersionedFile(fileName: fileName, version: version, name: name))
            }
            switch kind {
            case .plainUp(let v, let n): add(v, n, to: &ups)
            case .suffixed(let v, let n, let part), .timestamped(let v, let n, let part), .flyway(let v, let n, let part):
                switch part {
                case .up: add(v, n, to: &ups)
                case .down: add(v, n, to: &downs)
                case .verify: add(v, n, to: &verifies)
                }
            case .repeatable(let n): repeatables.append((fileName, n))
            case .directory, .violation, .ignored: break
            }
        }

        try checkDuplicates(ups.map { ($0.version, $0.fileName) })

        // Indexes into `ups`, `downs` and `verifies`: small entries, whatever the size of a file's record.
        var upByVersion: [MigrationVersion: Int] = [:]
        upByVersion.reserveCapacity(ups.count)
        for (index, up) in ups.enumerated() { upByVersion[up.version] = index }
        let downKind: String
        switch layout {
        case .timestamp: downKind = "rollback scripts"
        case .flyway: downKind = "undo scripts"
        default: downKind = "down scripts"
        }
        var downByVersion: [MigrationVersion: Int] = [:]
        downByVersion.reserveCapacity(downs.count)
        var verifyByVersion: [MigrationVersion: Int] = [:]
        var orphans: [String] = []
        var duplicateExtras: [String] = []
        for (list, isDown) in [(downs, true), (verifies, false)] {
            for (index, file) in list.enumerated() {
                guard let up = upByVersion[file.version].map({ ups[$0] }) else {
                    orphans.append("\(file.fileName): no up script with version \(file.versionText)")
                    continue
                }
                guard up.name == file.name else {
                    orphans.append("\(file.fileName): the up script of version \(file.versionText) is \(up.fileName)")
                    continue
                }
                if isDown {
                    if let other = downByVersion[file.version].map({ downs[$0] }) {
                        duplicateExtras += [directory.displayPath(of: other.fileName), directory.displayPath(of: file.fileName)]
                    }
                    downByVersion[file.version] = index
                } else {
                    if let other = verifyByVersion[file.version].map({ verifies[$0] }) {
                        duplicateExtras += [directory.displayPath(of: other.fileName), directory.displayPath(of: file.fileName)]
                    }
                    verifyByVersion[file.version] = index
                }
            }
        }
        if !duplicateExtras.isEmpty {
            throw StrataError(.duplicateVersion, "two scripts of the same kind have the same version",
                              hint: "keep one of them", details: duplicateExtras)
        }
        if !orphans.isEmpty {
            throw StrataError(
                .invalidSource,
                orphans.count == 1 ? "a \(downKind.dropLast()) has no matching up script"
                    : "\(orphans.count) \(downKind) or verify scripts have no matching up script",
                hint: "add the missing up script, fix the name so it matches, or remove the file",
                details: orphans)
        }

        for up in ups {
            let upPath = directory.displayPath(of: up.fileName)
            let upText: String
            if let text = texts[up.fileName] { upText = text } else { upText = try fs.readText(upPath) }
            let upScript = MigrationScript(path: upPath, sql: upText)
            var down = Migration.Down.none
            if let index = downByVersion[up.version] {
                down = try readDown(directory.displayPath(of: downs[index].fileName))
            }
            var verify: MigrationScript?
            if let index = verifyByVersion[up.version] {
                verify = try readVerify(directory.displayPath(of: verifies[index].fileName))
            }
            migrations.append(try make(
                version: up.version, name: up.name, kind: .sql, layout: layout,
                sourcePath: upPath, up: upScript, down: down, verify: verify, metadata: MigrationMetadata(),
                headerText: upText, upDirectives: upScript, downDirectives: down.scriptIfAny))
        }
        for repeatable in repeatables {
            let upPath = directory.displayPath(of: repeatable.fileName)
            let upText = try fs.readText(upPath)
            let upScript = MigrationScript(path: upPath, sql: upText)
            migrations.append(try make(
                version: nil, name: repeatable.name, kind: .repeatable, layout: layout, sourcePath: upPath,
                up: upScript, down: .none, verify: nil, metadata: MigrationMetadata(),
                headerText: upText, upDirectives: upScript, downDirectives: nil))
        }
    }

    // MARK: sections

    /// Builds one-file migrations with up and down sections (dbmate, goose).
    mutating func buildSections(_ files: [(fileName: String, version: String, name: String, text: String)]) throws(StrataError) {
        try checkDuplicates(files.map { (MigrationVersion($0.version)!, $0.fileName) })
        for file in files {
            let filePath = directory.displayPath(of: file.fileName)
            let result = try SectionParser.parse(file.text, path: filePath)
            var down = Migration.Down.none
            if let script = result.down {
                down = script.isEffectivelyEmpty ? .irreversible(path: filePath) : .script(script)
            }
            var upReason: String?
            var downReason: String?
            switch result.flavor {
            case .goose:
                if !result.upTransactional { upReason = "-- +goose NO TRANSACTION" }
                if !result.downTransactional { downReason = "-- +goose NO TRANSACTION" }
            case .dbmate:
                if !result.upTransactional { upReason = "-- migrate:up transaction:false" }
                if !result.downTransactional { downReason = "-- migrate:down transaction:false" }
            }
            // Directives for the up section may also stand in the header above the up annotation,
            // so the up part is everything before the down section.
            var upPart = file.text
            if let downSection = result.down {
                upPart = Self.leadingLines(of: file.text, count: downSection.firstLine - 1)
            }
            migrations.append(try make(
                version: MigrationVersion(file.version), name: file.name, kind: .sql, layout: .sections,
                sourcePath: filePath, up: result.up, down: down, verify: nil, metadata: MigrationMetadata(),
                headerText: file.text, upDirectives: MigrationScript(path: filePath, sql: upPart),
                downDirectives: result.down, upSectionReason: upReason, downSectionReason: downReason))
        }
    }

    /// The first `count` lines of `text`, with their line breaks.
    private static func leadingLines(of text: String, count: Int) -> String {
        guard count > 0 else { return "" }
        var seen = 0
        var end = text.utf8.startIndex
        for index in text.utf8.indices where text.utf8[index] == UInt8(ascii: "\n") {
            seen += 1
            if seen == count {
                end = text.utf8.index(after: index)
                return String(text[..<end])
            }
        }
        return text
    }

    // MARK: dir

    /// Builds migrations from `V001__name/` or diesel `<version>_<name>/` directories.
    mutating func buildDirectories(_ names: [String], kinds: [MigrationFileName]) throws(StrataError) {
        var items: [(dirName: String, versionText: String, name: String)] = []
        for (dirName, kind) in zip(names, kinds) {
            if case .directory(let v, let n, _) = kind { items.append((dirName, v, n)) }
        }
        try checkDuplicates(items.map { (MigrationVersion($0.versionText)!, $0.dirName) })

        let known: Set<String> = ["up.sql", "down.sql", "verify.sql", "metadata.yaml", "metadata.yml"]
        var withoutUp: [String] = []
        var contents: [String: Set<String>] = [:]
        for item in items {
            let dirPath = directory.displayPath(of: item.dirName)
            guard let names = SourceFileSystem.names(in: dirPath) else {
                throw StrataError(.invalidSource, "migration directory \(dirPath) cannot be read",
                                  hint: "check the directory's permissions")
            }
            contents[item.dirName] = Set(names)
            if !names.contains("up.sql") { withoutUp.append(item.dirName + "/") }
            for name in names where !known.contains(name) {
                let shown = SourceFileSystem.join(dirPath, name)
                ignored.append(shown)
                warnings.append("ignored \(shown): not part of a migration (expected up.sql, down.sql, verify.sql, metadata.yaml)")
            }
        }
        if !withoutUp.isEmpty {
            throw StrataError(
                .invalidSource,
                withoutUp.count == 1 ? "migration directory \(directory.displayPath(of: withoutUp[0])) has no up.sql"
                    : "\(withoutUp.count) migration directories have no up.sql",
                hint: "every migration directory needs an up.sql; down.sql, verify.sql and metadata.yaml are optional",
                details: withoutUp.count == 1 ? [] : withoutUp)
        }

        for item in items {
            let dirPath = directory.displayPath(of: item.dirName)
            let names = contents[item.dirName] ?? []
            let version = MigrationVersion(item.versionText)!

            let upPath = SourceFileSystem.join(dirPath, "up.sql")
            let upText = try fs.readText(upPath)
            let upScript = MigrationScript(path: upPath, sql: upText)
            let down: Migration.Down = names.contains("down.sql")
                ? try readDown(SourceFileSystem.join(dirPath, "down.sql")) : .none
            let verify: MigrationScript? = names.contains("verify.sql")
                ? try readVerify(SourceFileSystem.join(dirPath, "verify.sql")) : nil

            var metadata = MigrationMetadata()
            let metadataName: String? = names.contains("metadata.yaml") ? "metadata.yaml"
                : names.contains("metadata.yml") ? "metadata.yml" : nil
            if names.contains("metadata.yaml") && names.contains("metadata.yml") {
                warnings.append("\(dirPath) has both metadata.yaml and metadata.yml; metadata.yml is ignored")
            }
            if let metadataName {
                let metadataPath = SourceFileSystem.join(dirPath, metadataName)
                let parsed = try MetadataFile.parse(try fs.readText(metadataPath), path: metadataPath)
                metadata = parsed.metadata
                if let text = metadata.version, MigrationVersion(text) != version {
                    throw StrataError(
                        .invalidMetadata,
                        "metadata version \(text) does not match the directory's version \(item.versionText)",
                        location: parsed.versionLocation ?? SourceLocation(file: metadataPath, line: 1, column: 1),
                        hint: "set 'version: \(version.components.map(String.init).joined(separator: "."))' or remove the key")
                }
            }
            migrations.append(try make(
                version: version, name: item.name, kind: .sql, layout: .dir, sourcePath: dirPath,
                up: upScript, down: down, verify: verify, metadata: metadata,
                headerText: upText, upDirectives: upScript, downDirectives: down.scriptIfAny))
        }
    }

    // MARK: Shared

    /// Throws ``StrataError/Code/duplicateVersion`` when two entries share a version (`001` = `1`).
    /// `items` are versions with the entry's name inside the directory.
    private func checkDuplicates(_ items: [(MigrationVersion, String)]) throws(StrataError) {
        var seen = Set<MigrationVersion>(minimumCapacity: items.count)
        guard items.contains(where: { !seen.insert($0.0).inserted }) else { return }
        var byVersion: [MigrationVersion: [String]] = [:]
        for (version, name) in items { byVersion[version, default: []].append(directory.displayPath(of: name)) }
        let clashes = byVersion.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        guard !clashes.isEmpty else { return }
        let versions = clashes.map(\.key.text)
        throw StrataError(
            .duplicateVersion,
            versions.count == 1 ? "version \(versions[0]) is used by more than one migration"
                : "versions \(versions.joined(separator: ", ")) are each used by more than one migration",
            hint: "give each migration its own version (versions compare numerically: 001 equals 1)",
            details: clashes.flatMap(\.value))
    }

    /// A down script, or `.irreversible` when it is empty or only comments.
    private func readDown(_ path: String) throws(StrataError) -> Migration.Down {
        let script = MigrationScript(path: path, sql: try fs.readText(path))
        return script.isEffectivelyEmpty ? .irreversible(path: path) : .script(script)
    }

    /// A verify script, or `nil` (with a warning) when it is empty.
    private mutating func readVerify(_ path: String) throws(StrataError) -> MigrationScript? {
        let script = MigrationScript(path: path, sql: try fs.readText(path))
        if script.isEffectivelyEmpty {
            warnings.append("\(path) has no statements and is ignored")
            return nil
        }
        return script
    }

    /// Puts a migration together: description, and execution options from metadata, directives
    /// and section annotations (each direction on its own).
    private func make(version: MigrationVersion?, name: String, kind: MigrationKind, layout: MigrationLayout,
                      sourcePath: String, up: MigrationScript, down: Migration.Down, verify: MigrationScript?,
                      metadata: MigrationMetadata, headerText: String, upDirectives: MigrationScript,
                      downDirectives: MigrationScript?, upSectionReason: String? = nil,
                      downSectionReason: String? = nil) throws(StrataError) -> Migration {
        let description: String
        if let text = metadata.description?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty {
            description = text
        } else if let text = HeaderComments.description(of: headerText) {
            description = text
        } else {
            description = HeaderComments.humanize(name)
        }

        let options = try Self.options(metadata: metadata, sectionReason: upSectionReason, script: upDirectives)
        let downOptions = try Self.options(metadata: metadata, sectionReason: downSectionReason, script: downDirectives)
        return Migration(version: version, name: name, description: description, kind: kind, layout: layout,
                         sourcePath: sourcePath, up: up, down: down, verify: verify, metadata: metadata,
                         options: options, downOptions: downOptions)
    }

    /// The options of one script: `metadata.yaml` `transaction: false`, a section annotation, then
    /// the script's own `-- strata:` directives.
    static func options(metadata: MigrationMetadata, sectionReason: String?,
                                script: MigrationScript?) throws(StrataError) -> ExecutionOptions {
        var options = ExecutionOptions()
        if metadata.transaction == false {
            options.transactional = false
            options.nonTransactionalReason = "metadata.yaml transaction: false"
        }
        if let sectionReason {
            options.transactional = false
            options.nonTransactionalReason = sectionReason
        }
        options.lockTimeout = metadata.lockTimeout
        options.statementTimeout = metadata.statementTimeout
        if let script {
            let directives = try ScriptDirectives.parse(script)
            if !directives.transactional {
                options.transactional = false
                options.nonTransactionalReason = "-- strata:no-transaction"
            }
            options.foreignKeys = directives.foreignKeys
            if let value = directives.lockTimeout { options.lockTimeout = value }
            if let value = directives.statementTimeout { options.statementTimeout = value }
        }
        return options
    }
}

extension Migration.Down {
    /// The down script, when there is one with statements.
    fileprivate var scriptIfAny: MigrationScript? {
        if case .script(let script) = self { return script }
        return nil
    }
}
