import Foundation
import Testing

/// The real migration sets in `../shared/corpora` and their ORDER files.
enum Corpus {
    /// `../shared/corpora` beside the repository. Missing corpora fail the test; they are never skipped.
    static var root: URL {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" {
            dir.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { break }
        }
        return dir.deletingLastPathComponent().appendingPathComponent("shared/corpora")
    }

    /// One step of a chain: the up file (maybe `file#up` for a sections file), down file or nil, flags.
    struct Step {
        var name: String
        var up: String
        var down: String?
        var noTransaction: Bool
    }

    /// One chain from an `ORDER-<chain>.txt` file.
    struct Chain: CustomStringConvertible {
        var name: String
        var engine: String
        var set: URL
        var steps: [Step]

        var description: String { name }

        /// The migrations directory of the chain (its first step's).
        var directory: URL { directories[0] }

        /// The directories the chain's steps come from, in order of first use. goose's
        /// no-versioning chain applies `migrations/` and then `seed/`.
        var directories: [URL] {
            var seen: [URL] = []
            for step in steps {
                let file = set.appendingPathComponent(String(step.up.split(separator: "#")[0]))
                let dir = file.deletingLastPathComponent()
                if !seen.contains(dir) { seen.append(dir) }
            }
            return seen
        }

        /// The SQL of a `path` or `path#up` / `path#down` reference, as the plain client runs it.
        func sql(_ reference: String) throws -> String {
            let parts = reference.split(separator: "#")
            let text = try String(contentsOf: set.appendingPathComponent(String(parts[0])), encoding: .utf8)
            guard parts.count == 2 else { return text }
            return section(text, String(parts[1]))
        }

        private func section(_ text: String, _ which: String) -> String {
            var out: [Substring] = []
            var current = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                let lower = line.lowercased().trimmingCharacters(in: .whitespaces)
                if lower.hasPrefix("-- +goose up") || lower.hasPrefix("-- migrate:up") { current = "up"; continue }
                if lower.hasPrefix("-- +goose down") || lower.hasPrefix("-- migrate:down") { current = "down"; continue }
                if lower.hasPrefix("-- +goose") { continue }
                if current == which { out.append(line) }
            }
            return out.joined(separator: "\n")
        }
    }

    /// Every chain for an engine (`sqlite` or `postgres`).
    static func chains(engine: String) throws -> [Chain] {
        guard FileManager.default.fileExists(atPath: root.path) else {
            Issue.record("corpora not found at \(root.path): the tests need ../shared/corpora beside the repository")
            return []
        }
        var chains: [Chain] = []
        for set in try FileManager.default.contentsOfDirectory(atPath: root.path).sorted() {
            let setURL = root.appendingPathComponent(set)
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: setURL.path) else { continue }
            for file in files.sorted() where file.hasPrefix("ORDER-") {
                let text = try String(contentsOf: setURL.appendingPathComponent(file), encoding: .utf8)
                let lines = text.split(separator: "\n")
                guard let header = lines.first, header.contains("(\(engine))") else { continue }
                let steps = lines.filter { !$0.hasPrefix("#") }.map { line -> Step in
                    let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                    return Step(name: f[0], up: f[1], down: f.count > 2 && f[2] != "-" ? f[2] : nil,
                                noTransaction: f.count > 3 && (f[3].contains("no-transaction") || f[3].contains("non-transactional")))
                }
                chains.append(Chain(name: String(file.dropFirst(6).dropLast(4)), engine: engine, set: setURL, steps: steps))
            }
        }
        return chains
    }
}
