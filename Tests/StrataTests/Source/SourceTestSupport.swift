import Foundation
import Testing
@testable import Strata

/// A throwaway directory tree for source tests, removed when the value goes away.
final class SourceFixtureTree {
    /// The temporary folder that holds the tree.
    let base: String
    /// The migrations directory inside it (`<base>/migrations`).
    let root: String

    init(_ files: [String: String] = [:], createRoot: Bool = true) throws {
        base = NSTemporaryDirectory() + "strata-source-tests-" + UUID().uuidString
        root = base + "/migrations"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        if createRoot { try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true) }
        for (path, text) in files { try write(path, text) }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: base)
    }

    var directory: MigrationDirectory { MigrationDirectory(path: root) }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ relative: String, _ text: String) throws {
        try writeBytes(relative, Array(text.utf8))
    }

    func writeBytes(_ relative: String, _ bytes: [UInt8]) throws {
        let full = path(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path(relative), withIntermediateDirectories: true)
    }

    func symlink(_ relative: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(relative), withDestinationPath: destination)
    }

    func load() throws(StrataError) -> LoadedMigrations {
        try directory.load()
    }

    /// The error loading throws, or `nil` when it loads.
    func loadError() -> StrataError? {
        do {
            _ = try directory.load()
            return nil
        } catch {
            return error
        }
    }
}

/// The shared test corpora (`/work/shared/corpora` next to the repository).
enum SourceCorpora {
    /// The corpora folder, found from this file's path: the package root's sibling `shared/corpora`.
    static func root(filePath: String = #filePath) throws -> String {
        var url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
            url = url.deletingLastPathComponent()
        }
        let corpora = url.deletingLastPathComponent().appendingPathComponent("shared/corpora").path
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: corpora, isDirectory: &isDirectory) && isDirectory.boolValue
        try #require(exists, "the corpora directory \(corpora) is missing; source corpus tests cannot run")
        return corpora
    }

    /// One line of an `ORDER-<chain>.txt` file.
    struct Step: Sendable, CustomStringConvertible {
        var step: String
        var up: String
        var down: String?
        var flags: String
        var description: String { "\(step) \(up)" }
    }

    /// The steps of an ORDER file, grouped by the directory their up files live in, in order.
    static func chain(_ orderFile: String) throws -> [(directory: String, steps: [Step])] {
        let text = try String(contentsOfFile: orderFile, encoding: .utf8)
        var groups: [(directory: String, steps: [Step])] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            try #require(fields.count >= 3, "malformed line in \(orderFile): \(line)")
            let up = fields[1].replacingOccurrences(of: "#up", with: "")
            let downField = fields[2].replacingOccurrences(of: "#down", with: "")
            let step = Step(step: fields[0], up: up, down: downField == "-" ? nil : downField,
                            flags: fields.count > 3 ? fields[3] : "")
            let directory = (up as NSString).deletingLastPathComponent
            if groups.last?.directory == directory {
                groups[groups.count - 1].steps.append(step)
            } else {
                groups.append((directory, [step]))
            }
        }
        return groups
    }
}
