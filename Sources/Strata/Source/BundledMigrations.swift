import Foundation

/// Migrations shipped inside an application as a resource folder, in any layout a
/// ``MigrationDirectory`` reads.
///
/// Copy the folder as it is, so its names and subdirectories stay intact:
///
/// ```swift
/// // Package.swift
/// .executableTarget(name: "App", dependencies: [...], resources: [.copy("Migrations")])
///
/// // App
/// try migrator.add(BundledMigrations.folder("Migrations", in: .module))
/// ```
///
/// Paths in the history (`script`), in status and in errors are shown relative to the folder,
/// under ``displayName`` (`Migrations/001_create_users.sql`), not as the absolute path of the
/// installed bundle, which differs between machines and installs. Checksums depend only on the
/// contents, so moving the app never shows a migration as changed.
public struct BundledMigrations: MigrationSource {
    /// The folder's location on disk.
    public var url: URL
    /// The name shown in place of the folder's absolute path.
    public var displayName: String

    /// Migrations in the folder at `url`, shown as `displayName` (default: the folder's name).
    public init(url: URL, displayName: String? = nil) {
        self.url = url
        self.displayName = displayName ?? url.lastPathComponent
    }

    /// The resource folder `name` of `bundle` (for a SwiftPM target with
    /// `resources: [.copy("Migrations")]`, `bundle` is `.module`).
    /// - Throws: ``StrataError`` `.invalidSource` when the bundle has no such folder.
    public static func folder(_ name: String, in bundle: Bundle) throws(StrataError) -> BundledMigrations {
        guard let url = bundle.url(forResource: name, withExtension: nil) else {
            throw StrataError(.invalidSource, "the bundle \(bundle.bundlePath) has no resource folder \(name)",
                              hint: "add `resources: [.copy(\"\(name)\")]` to the target in Package.swift, "
                                  + "with the migrations in Sources/<target>/\(name)/")
        }
        return BundledMigrations(url: url, displayName: name)
    }

    /// Reads the folder like ``MigrationDirectory/load()`` and shows its paths under ``displayName``.
    public func load() throws(StrataError) -> LoadedMigrations {
        let root = url.path
        var loaded: LoadedMigrations
        do {
            loaded = try MigrationDirectory(path: root).load()
        } catch {
            throw error.replacingPathPrefix(root, with: displayName)
        }
        loaded.migrations = loaded.migrations.map { $0.replacingPathPrefix(root, with: displayName) }
        loaded.warnings = loaded.warnings.map { $0.replacingOccurrences(of: root, with: displayName) }
        loaded.ignored = loaded.ignored.map { PathPrefix.replace(root, with: displayName, in: $0) }
        return loaded
    }
}

/// Replacing a directory prefix in shown paths.
enum PathPrefix {
    /// `path` with the leading directory `old` replaced by `new`; unchanged when it is not under `old`.
    static func replace(_ old: String, with new: String, in path: String) -> String {
        if path == old { return new }
        let prefix = old.hasSuffix("/") ? old : old + "/"
        guard path.hasPrefix(prefix) else { return path }
        return (new.hasSuffix("/") ? new : new + "/") + path.dropFirst(prefix.count)
    }
}

extension Migration {
    /// The migration with every path under `old` shown under `new`.
    func replacingPathPrefix(_ old: String, with new: String) -> Migration {
        func fix(_ s: MigrationScript) -> MigrationScript {
            MigrationScript(path: PathPrefix.replace(old, with: new, in: s.path), sql: s.sql, firstLine: s.firstLine)
        }
        var copy = self
        copy.sourcePath = PathPrefix.replace(old, with: new, in: sourcePath)
        copy.up = fix(up)
        copy.verify = verify.map(fix)
        switch down {
        case .script(let s): copy.down = .script(fix(s))
        case .irreversible(let path): copy.down = .irreversible(path: PathPrefix.replace(old, with: new, in: path))
        case .none: break
        }
        return copy
    }
}

extension StrataError {
    /// The error with paths under `old` (location, message, details) shown under `new`.
    func replacingPathPrefix(_ old: String, with new: String) -> StrataError {
        var copy = self
        if let location {
            copy.location = SourceLocation(file: PathPrefix.replace(old, with: new, in: location.file),
                                           line: location.line, column: location.column)
        }
        copy.message = message.replacingOccurrences(of: old, with: new)
        copy.details = details.map { $0.replacingOccurrences(of: old, with: new) }
        return copy
    }
}
