import Foundation
import Testing

/// `strata init`, shell completions, the man page and `--help`.
@Suite("Init, completions, man page, help")
struct InitAndShellFilesTests {
    static var repository: URL {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { break }
        }
        return dir
    }

    @Test func initWritesAWorkingProject() throws {
        let tmp = try TemporaryDirectory()
        let r = try StrataProcess.strata(["init"], in: tmp.url)
        #expect(r.exitCode == 0, "\(r)")
        let config = try String(contentsOf: tmp.path("strata.yml"), encoding: .utf8)
        for key in ["migrations: migrations", "# history_table:", "# lock_timeout:", "#   keep: 10", "environments:", "#    protected: true"] {
            #expect(config.contains(key), "strata.yml documents \(key):\n\(config)")
        }
        #expect(try String(contentsOf: tmp.path(".gitignore"), encoding: .utf8) == "# Strata's database backups\nbackups/\n")
        #expect(r.stdout.contains("created migrations/V001__create_example/up.sql"), "\(r)")
        let up = try StrataProcess.strata(["--env", "dev", "up"], in: tmp.url)
        #expect(up.exitCode == 0, "the example applies: \(up)")
        #expect(try StrataProcess.sqlite3(tmp.path("strata.db"), "SELECT name FROM sqlite_master WHERE name = 'example';") == "example\n")
        let down = try StrataProcess.strata(["--env", "dev", "down"], in: tmp.url)
        #expect(down.exitCode == 0, "and rolls back: \(down)")
    }

    @Test func initAppendsToAnExistingGitignoreOnce() throws {
        let tmp = try TemporaryDirectory()
        try tmp.write([".gitignore": ".build\n*.o"])
        #expect(try StrataProcess.strata(["init"], in: tmp.url).exitCode == 0)
        let json = try StrataProcess.strata(["init", "--format", "json"], in: tmp.url)
        #expect(try String(contentsOf: tmp.path(".gitignore"), encoding: .utf8) == ".build\n*.o\n# Strata's database backups\nbackups/\n")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json)")
        #expect((doc["gitignore"] as? [String: Any])?["change"] as? String == "unchanged", "\(json)")
        #expect((doc["created"] as? [Any])?.isEmpty == true, "a second init writes nothing: \(json)")
    }

    @Test func committedCompletionsAndManPageAreCurrent() throws {
        let tmp = try TemporaryDirectory()
        let share = Self.repository.appendingPathComponent("share")
        let expected: [(String, [String])] = [
            ("completions/strata.bash", ["completions", "bash"]), ("completions/_strata", ["completions", "zsh"]),
            ("completions/strata.fish", ["completions", "fish"]), ("man/man1/strata.1", ["man"]),
        ]
        for (file, arguments) in expected {
            let r = try StrataProcess.strata(arguments, in: tmp.url)
            #expect(r.exitCode == 0, "\(r)")
            let committed = try String(contentsOf: share.appendingPathComponent(file), encoding: .utf8)
            #expect(committed == r.stdout, "share/\(file) is stale: run scripts/shell-files")
        }
    }

    @Test func bashCompletionCompletesCommandsAndOptions() throws {
        let tmp = try TemporaryDirectory()
        let script = Self.repository.appendingPathComponent("share/completions/strata.bash").path
        func complete(_ words: [String]) throws -> [String] {
            let line = words.joined(separator: " ")
            let shell = """
                source '\(script)'
                COMP_WORDS=(\(words.map { "'\($0)'" }.joined(separator: " "))); COMP_CWORD=\(words.count - 1)
                COMP_LINE='\(line)'; COMP_POINT=\(line.count)
                _strata strata '\(words.last!)' '\(words[words.count - 2])'
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let r = try StrataProcess.run("bash", ["--norc", "--noprofile", "-c", shell], in: tmp.url)
            #expect(r.exitCode == 0, "\(r)")
            return r.stdout.split(separator: "\n").map(String.init)
        }
        #expect(try complete(["strata", "doc"]) == ["doctor"])
        #expect(try complete(["strata", "up", "--dry"]).contains("--dry-run"))
        #expect(try complete(["strata", "completions", "z"]) == ["zsh"])
    }

    @Test func helpIsGroupedAndEveryCommandHasAnExample() throws {
        let tmp = try TemporaryDirectory()
        let help = try StrataProcess.strata(["--help"], in: tmp.url)
        for group in ["MIGRATE", "INSPECT", "AUTHOR", "REPAIR", "BACKUPS", "SHELL"] {
            #expect(help.stdout.contains("\(group) SUBCOMMANDS:"), "\(help.stdout)")
        }
        #expect(help.stdout.contains("Examples:"), "\(help.stdout)")
        let commands = help.stdout.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let word = line.split(separator: " ").first,
                  word.allSatisfy({ $0.isLowercase }) else { return nil }
            return String(word)
        }.filter { !["strata"].contains($0) }
        #expect(commands.count >= 20, "\(commands)")
        for command in commands {
            let r = try StrataProcess.strata(["help", command], in: tmp.url)
            #expect(r.exitCode == 0 && r.stdout.contains("Example"), "`strata help \(command)` has an example:\n\(r.stdout)")
        }
    }
}
