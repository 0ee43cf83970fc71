import Foundation
import Strata

/// Where command output goes: text or one JSON document on stdout, notes and errors on stderr.
struct Console: Sendable {
    /// `--format`.
    enum Format: String, Sendable, CaseIterable {
        case text
        case json
    }

    let format: Format
    let quiet: Bool
    let verbose: Bool
    /// Where the output goes: terminals, widths, colour.
    let terminal: Terminal

    var isJSON: Bool { format == .json }
    /// Styles for text on stdout (plain unless stdout is a terminal with colour on).
    var stdoutPaint: Painter { Painter(enabled: terminal.colorOnStdout) }
    /// Styles for text on stderr (plain unless stderr is a terminal with colour on).
    var stderrPaint: Painter { Painter(enabled: terminal.colorOnStderr) }

    /// A line of the command's text result on stdout (nothing in JSON mode).
    func line(_ text: String = "") {
        guard !isJSON else { return }
        Console.write(text + "\n", to: FileHandle.standardOutput)
    }

    /// A progress or informational line on stdout in text mode, suppressed by `--quiet`.
    func progress(_ text: String) {
        guard !isJSON, !quiet else { return }
        Console.write(text + "\n", to: FileHandle.standardOutput)
    }

    /// A note on stderr (never on stdout, so JSON stays clean); suppressed by `--quiet`.
    func note(_ text: String) {
        guard !quiet else { return }
        Console.write(text + "\n", to: FileHandle.standardError)
    }

    /// A warning on stderr.
    func warning(_ text: String) {
        Console.write(stderrPaint("warning: ", .boldYellow) + text + "\n", to: FileHandle.standardError)
    }

    /// A table on stdout in text mode, fitted to the terminal's width (see ``Terminal``).
    func table(_ table: TextTable) {
        guard !isJSON else { return }
        // Written in pieces of about 64 KiB: a status of 10,000 migrations is a few system calls,
        // not 10,000, and its text is never held whole.
        var chunk = ""
        chunk.reserveCapacity(Self.tableChunkBytes + 512)
        table.forEachLine(width: terminal.stdoutWidth(), paint: stdoutPaint) { line in
            chunk += line
            chunk += "\n"
            if chunk.utf8.count >= Self.tableChunkBytes {
                Console.write(chunk, to: FileHandle.standardOutput)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { Console.write(chunk, to: FileHandle.standardOutput) }
    }

    /// How much of a table ``table(_:)`` gathers before writing it out.
    static let tableChunkBytes = 64 << 10

    /// The JSON document of the command (JSON mode only).
    func json(_ value: @autoclosure () -> JSONValue) {
        guard isJSON else { return }
        Console.write(value().render() + "\n", to: FileHandle.standardOutput)
    }

    /// Reports an error: compiler-style text on stderr, or `{"error": …}` on stdout in JSON mode.
    func error(_ error: StrataError) {
        if isJSON {
            json(.object([("error", .object([
                ("code", .string(error.code.name)),
                ("message", .string(error.message)),
                ("file", .optional(error.location?.file)),
                ("line", .optional(error.location?.line)),
                ("column", .optional(error.location?.column)),
                ("hint", .optional(error.hint)),
                ("details", .array(error.details.map(JSONValue.string))),
                ("database_code", .optional(error.databaseCode)),
            ]))]))
            return
        }
        Console.write(Console.diagnostic(error, paint: stderrPaint), to: FileHandle.standardError)
    }

    /// An error as a compiler writes it: `path:line:col: error: message [code]`, the offending
    /// line with a caret under the column, the details, and `hint:`.
    static func diagnostic(_ error: StrataError, paint: Painter) -> String {
        var text = ""
        if let location = error.location { text += paint("\(location):", .bold) + " " }
        text += paint("error:", .boldRed) + " " + paint(error.message, .bold)
        if let code = error.databaseCode { text += " [\(code)]" }
        text += "\n"
        if let location = error.location, let source = Console.sourceLine(location) {
            text += "    \(source.line)\n    \(String(repeating: " ", count: source.caretOffset))" + paint("^", .boldGreen) + "\n"
        }
        for d in error.details { text += "  \(d)\n" }
        if let hint = error.hint { text += paint("hint:", .cyan) + " " + hint + "\n" }
        return text
    }

    /// The text of the line a location points at, and the caret's offset in it.
    static func sourceLine(_ location: SourceLocation) -> (line: String, caretOffset: Int)? {
        guard location.line >= 1, let data = FileManager.default.contents(atPath: location.file),
              let text = String(data: data, encoding: .utf8) else { return nil }
        var lineNumber = 1
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if lineNumber == location.line {
                let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
                let expanded = line.replacingOccurrences(of: "\t", with: " ")
                if expanded.trimmingCharacters(in: .whitespaces).isEmpty { return nil }
                let column = max(0, min(location.column - 1, expanded.unicodeScalars.count))
                var prefix = String.UnicodeScalarView()
                prefix.append(contentsOf: expanded.unicodeScalars.prefix(column))
                return (expanded, TextWidth.of(String(prefix)))
            }
            lineNumber += 1
        }
        return nil
    }

    /// Writes `text` to the handle's file descriptor with `write(2)`, to its end (a short write
    /// goes on, an interrupted one is retried). A failed write (a closed pipe, a full disk) drops
    /// the rest: output is best effort and never stops a migration run.
    static func write(_ text: String, to handle: FileHandle) {
        var text = text
        let fd = handle.fileDescriptor
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = writeBytes(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

/// `write(2)` (inside ``Console`` the name `write` is the console's own).
private func writeBytes(_ fd: Int32, _ bytes: UnsafePointer<UInt8>, _ count: Int) -> Int {
    write(fd, bytes, count)
}
