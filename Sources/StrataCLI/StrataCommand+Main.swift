import ArgumentParser
import Foundation
import Strata
import StrataSQLite

extension StrataCommand {
    /// Runs `strata` with the process's arguments: parses them, runs the command and exits with
    /// its exit code, like `main()`, except that with `--format json` a command-line usage error
    /// is also reported as one JSON document on stdout (`{"error": {"code": "usage", …}}`, exit 64),
    /// so scripts never have to parse text.
    ///
    /// ```swift
    /// @main enum StrataTool {
    ///     static func main() async { await StrataCommand.runTool() }
    /// }
    /// ```
    ///
    /// It first turns SQLite's memory statistics off for the process (``SQLiteMemoryStatistics``):
    /// the command line reads none of them, and every allocation inside SQLite then skips a global
    /// mutex.
    public static func runTool(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) async {
        SQLiteMemoryStatistics.disable()
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure, wantsJSON(arguments) {
                let console = Console(format: .json, quiet: false, verbose: false,
                                      terminal: Terminal.detect(noColorFlag: true))
                console.error(StrataError(.usage, message(for: error),
                                          hint: "see `strata --help`, or `strata <command> --help` for a command's options"))
                exit(withError: code)
            }
            if code == .validationFailure {
                // A usage error reads like the others: a coloured `error:` on a terminal.
                let paint = Painter(enabled: Terminal.detect(noColorFlag: arguments.contains("--no-color")).colorOnStderr)
                var text = fullMessage(for: error)
                if text.hasPrefix("Error: ") { text = paint("error:", .boldRed) + " " + text.dropFirst("Error: ".count) }
                Console.write(text.hasSuffix("\n") ? text : text + "\n", to: FileHandle.standardError)
                exit(withError: code)
            }
            exit(withError: error)
        }
    }

    /// Whether the arguments ask for `--format json` (as `--format json` or `--format=json`).
    static func wantsJSON(_ arguments: [String]) -> Bool {
        for (i, argument) in arguments.enumerated() {
            if argument == "--format=json" { return true }
            if argument == "--format", i + 1 < arguments.count, arguments[i + 1] == "json" { return true }
            if argument == "--" { break }
        }
        return false
    }
}
