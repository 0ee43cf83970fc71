import ArgumentParser
import Foundation
import Strata

extension StrataCommand {
    struct Completions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "completions",
            abstract: "Print the shell completion script for bash, zsh or fish.",
            discussion: """
            Generated from the command definitions. Install it once. Examples: \
            strata completions bash > /etc/bash_completion.d/strata; \
            strata completions zsh > "${fpath[1]}/_strata"; \
            strata completions fish > ~/.config/fish/completions/strata.fish
            """)

        @Argument(help: ArgumentHelp("The shell: bash, zsh or fish.", valueName: "shell"),
                  completion: .list(["bash", "zsh", "fish"]))
        var shell: String
        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func validate() throws {
            guard CompletionShell(rawValue: shell) != nil else {
                throw ValidationError("unknown shell '\(shell)': give bash, zsh or fish")
            }
        }

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let script = StrataCommand.completionScript(for: CompletionShell(rawValue: shell)!)
                context.console.json(.object([("shell", .string(shell)), ("script", .string(script))]))
                if !context.console.isJSON { Console.write(script, to: FileHandle.standardOutput) }
            }
        }
    }

    struct Man: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "man",
            abstract: "Print the strata(1) man page (troff), generated from the command definitions.",
            discussion: "Example: strata man > /usr/local/share/man/man1/strata.1 (view it with man -l <(strata man))")

        @OptionGroup(title: "Global Options") var global: GlobalOptions
        @ParentCommand var root: StrataCommand

        func run() async throws {
            try await runCommand(global, parent: root.global) { context in
                let page = try ManualPage.render()
                context.console.json(.object([("section", 1), ("troff", .string(page))]))
                if !context.console.isJSON { Console.write(page, to: FileHandle.standardOutput) }
            }
        }
    }
}
