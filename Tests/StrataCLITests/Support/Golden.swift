import Foundation
import Testing

/// Golden files of text output in `Tests/Golden/cli/<name>.txt`. A mismatch fails the test and
/// writes `<name>.actual.txt` beside the golden file; `STRATA_UPDATE_GOLDEN=1` rewrites them.
enum Golden {
    static var directory: URL {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { break }
        }
        return dir.appendingPathComponent("Tests/Golden/cli")
    }

    static func check(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let file = directory.appendingPathComponent("\(name).txt")
        let failed = directory.appendingPathComponent("\(name).actual.txt")
        if ProcessInfo.processInfo.environment["STRATA_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: file)
            try? FileManager.default.removeItem(at: failed)
            return
        }
        guard let expected = try? String(contentsOf: file, encoding: .utf8) else {
            Issue.record("no golden file \(file.path); run the tests with STRATA_UPDATE_GOLDEN=1 to write it", sourceLocation: sourceLocation)
            return
        }
        if expected == actual {
            try? FileManager.default.removeItem(at: failed)
            return
        }
        try Data(actual.utf8).write(to: failed)
        Issue.record("output differs from \(file.lastPathComponent) (actual output written to \(failed.path)):\n--- expected\n\(expected)--- actual\n\(actual)",
                     sourceLocation: sourceLocation)
    }

    /// Output with what varies between runs replaced: the temporary directory, backup
    /// timestamps, and durations (whose width varies, so spaces before them are collapsed too).
    static func normalize(_ text: String, tmp: URL) -> String {
        var out = text.replacingOccurrences(of: tmp.path, with: "<tmp>")
            .replacingOccurrences(of: tmp.resolvingSymlinksInPath().path, with: "<tmp>")
        out = out.replacingOccurrences(of: #"\d{8}T\d{9}Z"#, with: "<timestamp>", options: .regularExpression)
        out = out.replacingOccurrences(of: #" +\(?\d+(\.\d+)? (ms|s)\b\)?"#, with: " <time>", options: .regularExpression)
        return out
    }
}
