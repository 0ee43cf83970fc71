import ArgumentParser
import Foundation
import Strata

/// The `strata(1)` man page, generated from the command definitions: ArgumentParser's help dump
/// (`--experimental-dump-help`) for names, options and texts, the root command's
/// `CommandGroup`s for the order and grouping of commands. The same input always gives the
/// same bytes (no date), so the committed page can be checked for staleness.
///
/// ```swift
/// let troff = try ManualPage.render()   // man -l <(strata man)
/// ```
enum ManualPage {
    /// The subset of ArgumentParser's `ToolInfoV0` the page needs.
    struct ToolInfo: Decodable {
        var command: CommandInfo
    }

    struct CommandInfo: Decodable {
        var commandName: String
        var abstract: String?
        var discussion: String?
        var subcommands: [CommandInfo]?
        var arguments: [ArgumentInfo]?
    }

    struct ArgumentInfo: Decodable {
        struct Name: Decodable {
            var kind: String
            var name: String
        }

        var kind: String
        var names: [Name]?
        var valueName: String?
        var abstract: String?
        var sectionTitle: String?
        var isOptional: Bool
        var shouldDisplay: Bool
        var allValues: [String]?
    }

    /// The page as troff (`man` macros).
    static func render() throws -> String {
        let info = try JSONDecoder().decode(ToolInfo.self, from: Data(StrataCommand._dumpHelp().utf8))
        let root = info.command
        var page: [String] = []
        page.append(".TH STRATA 1 \"\" \"strata \(StrataInfo.version)\" \"User Commands\"")
        page.append(".SH NAME")
        page.append("strata \\- \(escape(root.abstract ?? ""))")
        page.append(".SH SYNOPSIS")
        page.append(".B strata")
        page.append("[\\fIglobal options\\fR] \\fIcommand\\fR [\\fIoptions\\fR] [\\fIarguments\\fR]")
        page.append(".SH DESCRIPTION")
        page += paragraphs(root.discussion ?? "")
        page.append(".SH GLOBAL OPTIONS")
        page.append("They may come before or after the command.")
        page += options(root.arguments ?? [], global: true)

        let dumped = (root.subcommands ?? []).filter { $0.commandName != "help" }
        var index = 0
        for group in StrataCommand.configuration.groupedSubcommands {
            page.append(".SH \"\(group.name.uppercased()) COMMANDS\"")
            for _ in group.subcommands where index < dumped.count {
                page += command(dumped[index])
                index += 1
            }
        }
        if index < dumped.count {
            page.append(".SH \"OTHER COMMANDS\"")
            for sub in dumped[index...] { page += command(sub) }
        }
        page += trailer()
        return page.joined(separator: "\n") + "\n"
    }

    private static func command(_ info: CommandInfo) -> [String] {
        var lines = [".SS \"strata \(info.commandName)\""]
        let positional = (info.arguments ?? []).filter { $0.kind == "positional" && $0.shouldDisplay }
        if !positional.isEmpty {
            lines.append(".B strata \(info.commandName)")
            lines.append(positional.map { arg in
                let name = "\\fI\(escape(arg.valueName ?? "value"))\\fR"
                return arg.isOptional ? "[\(name)]" : name
            }.joined(separator: " ") + " [\\fIoptions\\fR]")
            lines.append(".PP")
        }
        lines.append(escape(info.abstract ?? ""))
        if let discussion = info.discussion, !discussion.isEmpty {
            lines.append(".PP")
            lines += paragraphs(discussion).filter { $0 != ".PP" }
        }
        lines += options(info.arguments ?? [], global: false)
        return lines
    }

    /// `.TP` entries for options and flags; global ones only on the root, never help/version.
    private static func options(_ arguments: [ArgumentInfo], global: Bool) -> [String] {
        var lines: [String] = []
        for arg in arguments where arg.shouldDisplay {
            let isGlobal = arg.sectionTitle == "Global Options" || global
            guard isGlobal == global else { continue }
            let names = arg.names ?? []
            if names.contains(where: { $0.name == "help" || $0.name == "version" }) { continue }
            var term: String
            if arg.kind == "positional" {
                term = "\\fI\(escape(arg.valueName ?? "value"))\\fR"
            } else {
                term = names.map { "\\fB\($0.kind == "short" ? "\\-" : "\\-\\-")\(escape($0.name))\\fR" }.joined(separator: ", ")
                if arg.kind == "option" { term += " \\fI\(escape(arg.valueName ?? "value"))\\fR" }
            }
            lines.append(".TP")
            lines.append(term)
            var text = arg.abstract ?? ""
            if let values = arg.allValues, !values.isEmpty, !text.contains(values[0]) {
                text += " One of: \(values.joined(separator: ", "))."
            }
            lines.append(escape(text))
        }
        return lines
    }

    private static func trailer() -> [String] {
        var lines = [".SH EXIT STATUS"]
        let codes: [(String, String)] = [
            ("0", "Success."),
            ("1", "A migration or a verification failed (the database is as it was before that migration); `doctor` found a problem."),
            ("2", "Configuration or environment error: bad config, cannot open the database, mixed layouts, bad names, duplicate versions, unreadable files."),
            ("3", "Validation failed: changed, missing, out-of-order or failed migrations."),
            ("4", "The runner lock was not acquired in time."),
            ("5", "Confirmation required or refused (protected environments)."),
            ("64", "Command-line usage error."),
        ]
        for (code, text) in codes {
            lines += [".TP", "\\fB\(code)\\fR", escape(text)]
        }
        lines.append(".SH ENVIRONMENT")
        let variables: [(String, String)] = [
            ("STRATA_DATABASE_URL, DATABASE_URL, DB_FILE", "The database, in this order, when neither --database nor --env names one."),
            ("NO_COLOR", "When set and not empty, no colour (as --no-color)."),
            ("COLUMNS", "The width tables are fitted to (else the terminal's; on a pipe tables are not cut)."),
            ("CI", "When set (and not false or 0), progress is printed as plain lines, never redrawn in place."),
        ]
        for (name, text) in variables {
            lines += [".TP", "\\fB\(escape(name))\\fR", escape(text)]
        }
        lines += [".SH FILES", ".TP", "\\fBstrata.yml\\fR",
                  escape("Configuration: migrations, history_table, lock_timeout, backups {dir, keep, compress}, environments {NAME: {database, migrations, protected}}."),
                  ".TP", "\\fB<database>.lock\\fR", escape("The runner lock of a SQLite database, naming its holder."),
                  ".TP", "\\fBbackups/\\fR", escape("Backups taken before every mutating command (SQLite).")]
        lines += [".SH SEE ALSO", "sqlite3(1)"]
        return lines
    }

    /// Text split into `.PP` paragraphs at blank lines; indented lines (examples) are kept as
    /// they are, in `.nf` blocks.
    private static func paragraphs(_ text: String) -> [String] {
        var lines: [String] = []
        for (i, paragraph) in text.components(separatedBy: "\n\n").enumerated() {
            if i > 0 { lines.append(".PP") }
            var prose: [String] = []
            var literal = false
            for line in paragraph.components(separatedBy: "\n") {
                if line.hasPrefix("  ") {
                    if !prose.isEmpty { lines.append(escape(prose.joined(separator: " "))); prose = [] }
                    if !literal { lines.append(".nf"); literal = true }
                    lines.append("\\&" + escape(line))
                } else {
                    if literal { lines.append(".fi"); literal = false }
                    prose.append(line)
                }
            }
            if !prose.isEmpty { lines.append(escape(prose.joined(separator: " "))) }
            if literal { lines.append(".fi") }
        }
        return lines
    }

    /// Text made safe for troff: backslashes, hyphens, and lines starting with `.` or `'`.
    static func escape(_ text: String) -> String {
        var out = text.replacingOccurrences(of: "\\", with: "\\e").replacingOccurrences(of: "-", with: "\\-")
        if out.hasPrefix(".") || out.hasPrefix("'") { out = "\\&" + out }
        return out
    }
}
