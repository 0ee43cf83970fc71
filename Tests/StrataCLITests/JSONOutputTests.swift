import Foundation
import Testing

/// `--format json` on every command: exactly one JSON document on stdout, errors included.
@Suite("JSON on every command")
struct JSONOutputTests {
    /// Parses all of stdout as one JSON object (fails the test otherwise).
    static func document(_ r: ProcessResult, _ command: [String]) -> [String: Any]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            Issue.record("`strata \(command.joined(separator: " "))` did not print one JSON document on stdout:\n\(r)")
            return nil
        }
        return object
    }

    @Test func everyCommandPrintsOneDocument() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write(CommandLineTests.twoMigrations, under: "migrations")
        // In order, each leaving the database as the next expects.
        let commands: [([String], Int32, String)] = [
            (["status"], 0, "current_version"), (["up", "--dry-run"], 0, "planned"), (["up"], 0, "applied"),
            (["list"], 0, "migrations"), (["history"], 0, "events"), (["validate"], 0, "valid"),
            (["verify"], 0, "checks"), (["doctor"], 0, "sections"), (["backup"], 0, "backup"),
            (["backups"], 0, "backups"), (["down"], 0, "rolled_back"), (["to", "002"], 0, "applied"),
            (["redo"], 0, "rolled_back"), (["rollback", "002"], 0, "rolled_back"), (["repair"], 0, "changes"),
            (["baseline", "001"], 3, "error"), (["adopt"], 2, "error"), (["create", "add_c"], 0, "files"),
            (["init"], 0, "created"), (["completions", "fish"], 0, "script"), (["man"], 0, "troff"),
            (["restore", "missing.db"], 2, "error"), (["to"], 64, "error"), (["frobnicate"], 64, "error"),
            (["down", "--steps", "0"], 64, "error"),
        ]
        for (command, exit, key) in commands {
            let arguments = ["-d", "app.db"] + command + ["--format", "json"]
            let r = try StrataProcess.strata(arguments, in: tmp.url)
            #expect(r.exitCode == exit, "\(command): \(r)")
            guard let doc = Self.document(r, command) else { continue }
            #expect(doc[key] != nil, "\(command) has `\(key)`: \(r.stdout)")
            if exit == 64 {
                let error = doc["error"] as? [String: Any]
                #expect(error?["code"] as? String == "usage" && error?["hint"] is String, "\(command): \(r.stdout)")
            }
        }
        // `--format=json` before the command works as well.
        let r = try StrataProcess.strata(["--format=json", "-d", "app.db", "status"], in: tmp.url)
        #expect(Self.document(r, ["status"])?["database"] as? String == "app.db")
    }
}
