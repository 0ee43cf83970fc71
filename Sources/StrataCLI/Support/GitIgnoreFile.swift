import Foundation
import Strata

/// A `.gitignore` file that `strata init` adds lines to, never duplicating one and never
/// rewriting what is there.
enum GitIgnoreFile {
    /// What ``ensure(_:comment:at:)`` did.
    enum Change: String, Sendable {
        case created
        case appended
        case unchanged
    }

    /// Makes sure `pattern` is a line of the `.gitignore` at `path`: creates the file, or appends
    /// `# comment` and the pattern to it (after a newline when it lacks a final one).
    /// - Throws: ``StrataError`` `.configuration` when the file cannot be read or written.
    static func ensure(_ pattern: String, comment: String, at path: String) throws(StrataError) -> Change {
        let manager = FileManager.default
        let existing: String?
        if manager.fileExists(atPath: path) {
            guard let data = manager.contents(atPath: path) else {
                throw StrataError(.configuration, "cannot read \(path)", hint: "check its permissions")
            }
            existing = String(decoding: data, as: UTF8.self)
        } else {
            existing = nil
        }
        let bare = pattern.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let present = existing?.split(whereSeparator: \.isNewline).contains { line in
            line.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "/")) == bare
        } ?? false
        if present { return .unchanged }
        var text = existing ?? ""
        if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
        text += "# \(comment)\n\(pattern)\n"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw StrataError(.configuration, "cannot write \(path): \(error.localizedDescription)",
                              hint: "check the permissions of the file and its directory")
        }
        return existing == nil ? .created : .appended
    }
}
