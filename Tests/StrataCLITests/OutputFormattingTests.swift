import ArgumentParser
import Foundation
@testable import StrataCLI
import Testing

/// Tables, widths, styles and the other building blocks of the text output, in process.
@Suite("Output formatting")
struct OutputFormattingTests {
    @Test func widthCountsColumnsNotBytes() {
        #expect(TextWidth.of("abc") == 3)
        #expect(TextWidth.of("日本語") == 6, "wide characters take two columns")
        #expect(TextWidth.of("e\u{301}") == 1, "a combining accent takes none")
        #expect(TextWidth.of("\u{1B}[1;31merror:\u{1B}[0m") == 6, "escape codes take none")
        #expect(TextWidth.of("") == 0)
        #expect(TextWidth.of("a\tb\u{7F}c") == 3, "control characters take none")
        #expect(TextWidth.of("café 日") == 7, "ASCII then other scripts")
    }

    @Test func truncationEndsInAnEllipsisAndRespectsWideCharacters() {
        #expect(TextWidth.truncate("create users", to: 20) == "create users")
        #expect(TextWidth.truncate("create users", to: 8) == "create …")
        #expect(TextWidth.truncate("日本語テキスト", to: 6) == "日本…")
        #expect(TextWidth.of(TextWidth.truncate("日本語テキスト", to: 6)) <= 6)
    }

    static func sample() -> TextTable {
        var table = TextTable([TextTable.Column("VERSION"), TextTable.Column("DESCRIPTION", shrinkable: true),
                               TextTable.Column("TIME", alignRight: true), TextTable.Column("RESULT")])
        table.add(["001", "create users", "3 ms", "applied"], styles: [nil, nil, nil, .green])
        table.add(["002", "add the orders table with a long description", "1.25 s", "failed"])
        return table
    }

    @Test func tableAlignsColumnsTwoSpacesApart() {
        let lines = Self.sample().render(width: nil, paint: Painter(enabled: false))
        #expect(lines == [
            "VERSION  DESCRIPTION                                     TIME  RESULT",
            "001      create users                                    3 ms  applied",
            "002      add the orders table with a long description  1.25 s  failed",
        ])
    }

    @Test func tableShrinksOnlyShrinkableColumnsToFit() {
        let lines = Self.sample().render(width: 50, paint: Painter(enabled: false))
        #expect(lines.allSatisfy { TextWidth.of($0) <= 50 }, "\(lines)")
        #expect(lines[2] == "002      add the orders table wi…  1.25 s  failed", "\(lines)")
        #expect(lines[0].hasPrefix("VERSION  DESCRIPTION"))
        // Too narrow for even the minimum: the shrinkable column stops at its minimum width.
        let tiny = Self.sample().render(width: 10, paint: Painter(enabled: false))
        #expect(tiny[1].hasPrefix("001      create users"), "\(tiny)")
    }

    @Test func stylesWrapTheTextNotThePadding() {
        let lines = Self.sample().render(width: nil, paint: Painter(enabled: true))
        #expect(lines[0].hasPrefix("\u{1B}[1mVERSION\u{1B}[0m  "), "\(lines[0])")
        #expect(lines[1].hasSuffix("\u{1B}[32mapplied\u{1B}[0m"), "\(lines[1])")
        #expect(TextWidth.of(lines[1]) == TextWidth.of(Self.sample().render(width: nil, paint: Painter(enabled: false))[1]))
        #expect(Painter(enabled: false)("x", .red) == "x")
    }

    @Test func terminalRulesForColourProgressAndWidth() {
        let plain = Terminal.detect(noColorFlag: false, environment: ["NO_COLOR": "1"])
        #expect(plain.colorDisabled)
        #expect(!Terminal.detect(noColorFlag: false, environment: ["NO_COLOR": ""]).colorDisabled, "an empty NO_COLOR is unset")
        #expect(Terminal.detect(noColorFlag: true, environment: [:]).colorDisabled)
        #expect(Terminal.detect(noColorFlag: false, environment: ["TERM": "dumb"]).colorDisabled)
        #expect(Terminal.detect(noColorFlag: false, environment: ["CI": "true"]).isCI)
        #expect(!Terminal.detect(noColorFlag: false, environment: ["CI": "false"]).isCI)
        #expect(Terminal.detect(noColorFlag: false, environment: ["COLUMNS": "77"]).stdoutWidth() == 77)
        var tty = Terminal.detect(noColorFlag: false, environment: [:])
        tty.stderrIsTerminal = true
        #expect(tty.allowsLiveProgress)
        tty.isCI = true
        #expect(!tty.allowsLiveProgress, "CI gets plain lines even on a terminal")
    }

    @Test func progressBarAndDurations() {
        #expect(RunProgressRenderer.bar(done: 0, total: 4, width: 8) == "╸───────")
        #expect(RunProgressRenderer.bar(done: 2, total: 4, width: 8) == "━━━━╸───")
        #expect(RunProgressRenderer.bar(done: 4, total: 4, width: 8) == "━━━━━━━━")
        #expect(RunProgressRenderer.duration(7) == "7 ms")
        #expect(RunProgressRenderer.duration(1250) == "1.25 s")
        #expect(RunProgressRenderer.duration(125_000) == "2 min 05 s")
        #expect(RunProgressRenderer.clockText(3.44) == "3.4s")
        #expect(RunProgressRenderer.clockText(125) == "2m05s")
    }

    @Test func jsonIsDetectedInEitherSpelling() {
        #expect(StrataCommand.wantsJSON(["status", "--format", "json"]))
        #expect(StrataCommand.wantsJSON(["--format=json", "up"]))
        #expect(!StrataCommand.wantsJSON(["--format", "text"]))
        #expect(!StrataCommand.wantsJSON(["create", "--", "--format", "json"]))
    }

    @Test func gitignoreLinesAreAddedOnce() throws {
        let tmp = try TemporaryDirectory()
        let path = tmp.path(".gitignore").path
        #expect(try GitIgnoreFile.ensure("backups/", comment: "backups", at: path) == .created)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# backups\nbackups/\n")
        try Data("node_modules".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try GitIgnoreFile.ensure("backups/", comment: "backups", at: path) == .appended)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "node_modules\n# backups\nbackups/\n")
        #expect(try GitIgnoreFile.ensure("/backups", comment: "backups", at: path) == .unchanged)
    }

    @Test func manPageCoversEveryCommand() throws {
        let page = try ManualPage.render()
        #expect(page.hasPrefix(".TH STRATA 1"))
        for group in StrataCommand.configuration.groupedSubcommands {
            #expect(page.contains(".SH \"\(group.name.uppercased()) COMMANDS\""), "\(group.name)")
            for command in group.subcommands {
                let name = command._commandName
                #expect(!name.isEmpty && page.contains(".SS \"strata \(name)\""), "\(command)")
            }
        }
        #expect(page.contains("\\fB\\-\\-dry\\-run\\fR"), "options of commands are listed")
        #expect(ManualPage.escape(".hidden -x \\") == "\\&.hidden \\-x \\e")
    }
}
