/// The `-- strata:lint-ignore CODE …` comments of one script.
///
/// A finding is suppressed when one of these comments names its code on the comment lines right
/// above its statement (the run of `--` lines directly before the statement's first line), or
/// right above the line of the finding itself. Several codes may be given, separated by spaces or
/// commas: `-- strata:lint-ignore STRATA002, SQLITE005`.
struct LintSuppressions {
    /// Codes (uppercased) by the 1-based file line of their comment.
    private var codesByLine: [Int: [(code: String, column: Int)]] = [:]
    /// Whether each file line holds nothing but a `--` comment, by line.
    private var commentOnly: [Int: Bool] = [:]

    init(_ script: MigrationScript) {
        // Most scripts have no such comment: one byte scan instead of a look at every line.
        guard ByteSearch.contains(script.sql, "strata:lint-ignore") else { return }
        var line = script.firstLine
        for raw in script.sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let text = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            commentOnly[line] = trimmed.hasPrefix("--")
            if trimmed.hasPrefix("--"), let codes = Self.ignoredCodes(in: String(text)) {
                codesByLine[line] = codes
            }
            line += 1
        }
    }

    /// The codes of a `-- strata:lint-ignore` line with their 1-based columns, or `nil` for any other line.
    private static func ignoredCodes(in line: String) -> [(code: String, column: Int)]? {
        let scalars = Array(line.unicodeScalars)
        var i = 0
        func skipBlanks() { while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" { i += 1 } }
        skipBlanks()
        guard i + 1 < scalars.count, scalars[i] == "-", scalars[i + 1] == "-" else { return nil }
        i += 2
        skipBlanks()
        let directive = Array("strata:lint-ignore".unicodeScalars)
        guard Array(scalars[i..<min(scalars.count, i + directive.count)]) == directive else { return nil }
        i += directive.count
        var codes: [(code: String, column: Int)] = []
        while i < scalars.count {
            while i < scalars.count, scalars[i] == " " || scalars[i] == "\t" || scalars[i] == "," { i += 1 }
            let start = i
            while i < scalars.count, scalars[i] != " ", scalars[i] != "\t", scalars[i] != "," { i += 1 }
            if i > start {
                codes.append((String(String.UnicodeScalarView(scalars[start..<i])).uppercased(), start + 1))
            }
        }
        return codes
    }

    /// Whether `code` is ignored for a finding on `line` in a statement starting on `statementLine`.
    func ignores(_ code: String, line: Int, statementLine: Int) -> Bool {
        if codesByLine.isEmpty { return false }
        for start in Set([statementLine, line]) {
            var l = start - 1
            while commentOnly[l] == true {
                if codesByLine[l]?.contains(where: { $0.code == code }) == true { return true }
                l -= 1
            }
        }
        return false
    }

    /// Every code named in an ignore comment that no rule has, with its line and column.
    func unknownCodes() -> [(code: String, line: Int, column: Int)] {
        codesByLine.keys.sorted().flatMap { line in
            codesByLine[line]!.filter { LintRule.named($0.code) == nil }.map { (code: $0.code, line: line, column: $0.column) }
        }
    }
}
