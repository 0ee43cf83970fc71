import Foundation
import Strata

/// How lint findings are shown: compiler-style text, SPEC JSON, or SARIF 2.1.0.
enum LintOutput {
    /// Text (`file:line:col: warning[CODE]: message` and `hint:`) and a summary, or the JSON
    /// document `{"diagnostics": […]}`.
    static func report(_ diagnostics: [LintDiagnostic], console: Console) {
        console.json(.object([("diagnostics", .array(diagnostics.map(json)))]))
        for diagnostic in diagnostics {
            console.line("\(diagnostic.location): \(diagnostic.severity.rawValue)[\(diagnostic.code)]: \(diagnostic.message)")
            console.line("  hint: \(diagnostic.hint)")
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        console.line(diagnostics.isEmpty ? "No lint findings."
                     : "\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s").")
    }

    /// One diagnostic with the SPEC's keys.
    static func json(_ d: LintDiagnostic) -> JSONValue {
        .object([
            ("code", .string(d.code)),
            ("severity", .string(d.severity.rawValue)),
            ("file", .string(d.location.file)),
            ("line", .int(d.location.line)),
            ("column", .int(d.location.column)),
            ("message", .string(d.message)),
            ("hint", .string(d.hint)),
        ])
    }

    /// Findings as printed by `strata up` on stderr, before it runs anything.
    static func warnings(_ diagnostics: [LintDiagnostic]) -> String {
        diagnostics.map { "\($0.location): \($0.severity.rawValue)[\($0.code)]: \($0.message)\n  hint: \($0.hint)\n" }.joined()
    }

    /// The rule list.
    static func rules(_ console: Console) {
        console.json(.object([("rules", .array(LintRule.all.map { rule in
            .object([
                ("code", .string(rule.code)),
                ("engines", .array(rule.engines.map(\.rawValue).sorted().map(JSONValue.string))),
                ("severity", .string(rule.severity.rawValue)),
                ("explanation", .string(rule.explanation)),
                ("fix", .string(rule.fix)),
                ("static", .bool(rule.isStatic)),
            ])
        }))]))
        for rule in LintRule.all {
            let engines = rule.engines.count == 2 ? "all" : rule.engines.first!.rawValue
            console.line("\(rule.code)  \(rule.severity.rawValue)  [\(engines)]\(rule.isStatic ? "" : " (rehearse)")  \(rule.explanation)")
            console.line("    fix: \(rule.fix)")
        }
    }

    /// A SARIF 2.1.0 log for code scanning: one run, every rule, one result per finding.
    static func sarif(_ diagnostics: [LintDiagnostic]) -> JSONValue {
        let rules = LintRule.all
        let results: [JSONValue] = diagnostics.map { d in
            var fields: [(String, JSONValue)] = [("ruleId", .string(d.code))]
            if let index = rules.firstIndex(where: { $0.code == d.code }) { fields.append(("ruleIndex", .int(index))) }
            fields += [
                ("level", .string(d.severity == .error ? "error" : "warning")),
                ("message", .object([("text", .string("\(d.message). Hint: \(d.hint)"))])),
                ("locations", .array([.object([("physicalLocation", .object([
                    ("artifactLocation", .object([("uri", .string(uri(d.location.file)))])),
                    ("region", .object([("startLine", .int(d.location.line)), ("startColumn", .int(d.location.column))])),
                ]))])])),
            ]
            return .object(fields)
        }
        return .object([
            ("$schema", "https://json.schemastore.org/sarif-2.1.0.json"),
            ("version", "2.1.0"),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", "strata"),
                    ("version", .string(StrataInfo.version)),
                    ("informationUri", "https://github.com/strata-migrations/strata"),
                    ("rules", .array(rules.map { rule in
                        .object([
                            ("id", .string(rule.code)),
                            ("shortDescription", .object([("text", .string(rule.explanation))])),
                            ("help", .object([("text", .string(rule.fix))])),
                            ("defaultConfiguration", .object([("level", .string(rule.severity == .error ? "error" : "warning"))])),
                        ])
                    })),
                ]))])),
                ("columnKind", "unicodeCodePoints"),
                ("results", .array(results)),
            ])])),
        ])
    }

    /// A relative path as a SARIF URI (forward slashes, spaces and `%` escaped).
    private static func uri(_ path: String) -> String {
        var p = path
        let cwd = FileManager.default.currentDirectoryPath + "/"
        if p.hasPrefix(cwd) { p.removeFirst(cwd.count) }
        if p.hasPrefix("./") { p.removeFirst(2) }
        return p.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? p
    }
}
