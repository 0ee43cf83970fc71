/// Reads one-file migrations with up and down sections: dbmate (`-- migrate:up`, `-- migrate:down`)
/// and goose (`-- +goose Up`, `-- +goose Down`, `StatementBegin`/`StatementEnd`, `NO TRANSACTION`,
/// `ENVSUB ON`/`OFF`).
///
/// ```swift
/// let result = try SectionParser.parse(text, path: "migrations/20240101_add_email.sql")
/// // result.up.sql is the text between the up and down annotation lines, and
/// // result.up.firstLine is the file line where that text begins.
/// ```
///
/// **dbmate.** `-- migrate:up` and `-- migrate:down` lines (`--` may be followed by spaces), each
/// optionally followed by `transaction:false`. Only comments and blank lines may precede
/// `-- migrate:up`; the down section, when present, comes after the up section.
///
/// **goose.** Annotations are `-- +goose <words>` lines with case-insensitive words, as goose
/// accepts: `Up`, `Down`, `StatementBegin`, `StatementEnd`, `NO TRANSACTION` (anywhere: both
/// directions run outside a transaction), `ENVSUB ON` and `ENVSUB OFF`. Anything else after
/// `+goose` is an error. As in goose, only comments and blank lines may precede `-- +goose Up`,
/// a section may not end with a statement that lacks its `;`, and a `StatementBegin`/`StatementEnd`
/// block is exactly one statement. Outside blocks, statements are split by ``SQLSplitter``, which
/// unlike goose also keeps trigger bodies and dollar quotes whole.
///
/// **ENVSUB.** Lines under `ENVSUB ON` are substituted (see ``parse(_:path:dialect:environment:)``)
/// only when an environment is passed; ``MigrationScript/sql`` always stays the text as written,
/// so checksums and locations do not depend on the environment.
public enum SectionParser {
    /// Which tool's annotations a file uses.
    public enum Flavor: String, Sendable, Hashable {
        /// dbmate: `-- migrate:up` / `-- migrate:down`.
        case dbmate
        /// goose: `-- +goose Up` / `-- +goose Down`.
        case goose
    }

    /// A parsed one-file migration.
    public struct Result: Sendable, Hashable {
        /// The annotation style found.
        public var flavor: Flavor
        /// The up section (``MigrationScript/firstLine`` is its first line in the file).
        public var up: MigrationScript
        /// The down section; `nil` when the file has none.
        public var down: MigrationScript?
        /// `false` when the file asks for no transaction (goose `-- +goose NO TRANSACTION`,
        /// dbmate `-- migrate:up transaction:false`).
        public var upTransactional: Bool
        /// The same for the down section.
        public var downTransactional: Bool
        /// goose only: the up section's statements as goose delimits them, or `nil` when splitting
        /// ``up`` with ``SQLSplitter`` gives the same statements.
        ///
        /// Not `nil` when the section has a `StatementBegin`/`StatementEnd` block (one statement,
        /// from its first to its last significant character) or when `ENVSUB` substitution was
        /// applied. Each statement's ``SQLStatement/location`` is in the file and its
        /// ``SQLStatement/utf8Range`` is the range in ``MigrationScript/sql`` of ``up`` that it
        /// came from. Its ``SQLStatement/text`` leaves out goose annotation lines and has
        /// variables substituted, so it may differ from the bytes of that range.
        public var upStatements: [SQLStatement]?
        /// The same for the down section.
        public var downStatements: [SQLStatement]?
        /// goose only: whether the file has `-- +goose ENVSUB ON` (its statements then depend on
        /// the environment passed to ``SectionParser/parse(_:path:dialect:environment:)``).
        public var usesEnvironmentSubstitution: Bool
    }

    /// The flavor of annotations in `text` (from its first annotation line), or `nil` when it has none.
    public static func flavor(of text: String) -> Flavor? {
        var text = text
        return text.withUTF8 { buffer in
            let lines = Lines(buffer)
            for index in 0..<lines.count {
                switch annotation(buffer, lines.starts[index], lines.contentEnds[index]) {
                case .goose: return .goose
                case .dbmate: return .dbmate
                case nil: continue
                }
            }
            return nil
        }
    }

    /// Parses a file with sections.
    ///
    /// - Parameters:
    ///   - text: The whole file.
    ///   - path: The file's path as shown to the user; used in the scripts and in error locations.
    ///   - dialect: How goose statements outside `StatementBegin`/`StatementEnd` are split.
    ///   - environment: Variables for goose `-- +goose ENVSUB ON` lines. With `nil` (the default)
    ///     nothing is substituted and the statements keep `${VAR}` as written.
    /// - Throws: ``StrataError/Code/invalidFile`` with the file, line and column when there is
    ///   no up annotation, two up or down sections, sections in the wrong order, SQL before the
    ///   up annotation, a `StatementBegin` without `StatementEnd` (or the reverse), an unknown
    ///   annotation or option, or (goose) a section ending in a statement without `;`.
    public static func parse(_ text: String, path: String, dialect: SQLDialect = .generic,
                             environment: [String: String]? = nil) throws(StrataError) -> Result {
        var text = text
        let outcome = text.withUTF8 { buffer in
            Swift.Result { () throws(StrataError) -> Result in
                let parser = Parser(buffer: buffer, lines: Lines(buffer), path: path)
                switch flavorOfFirstAnnotation(buffer, parser.lines) {
                case .dbmate:
                    return try parser.parseDbmate()
                case .goose:
                    return try parser.parseGoose(dialect: dialect, environment: environment)
                case nil:
                    throw StrataError(
                        .invalidFile, "no '-- migrate:up' or '-- +goose Up' annotation",
                        location: SourceLocation(file: path, line: 1, column: 1),
                        hint: "a one-file migration starts its up section with '-- migrate:up' (dbmate) or '-- +goose Up' (goose)")
                }
            }
        }
        return try outcome.get()
    }

    // MARK: Lines and annotations

    /// The lines of a file as byte offsets.
    private struct Lines {
        /// Where each line starts.
        var starts: [Int] = []
        /// Where each line's content ends (before `\r\n` or `\n`).
        var contentEnds: [Int] = []
        /// Where the next line starts (after the line break).
        var nexts: [Int] = []

        var count: Int { starts.count }

        init(_ buffer: UnsafeBufferPointer<UInt8>) {
            let n = buffer.count
            // A UTF-8 byte order mark is not part of the first line.
            var start = n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0
            while start < n {
                var end = start
                while end < n, buffer[end] != 0x0A { end += 1 }
                var contentEnd = end
                if contentEnd > start, buffer[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                starts.append(start)
                contentEnds.append(contentEnd)
                let next = end < n ? end + 1 : n
                nexts.append(next)
                start = next
            }
        }

        /// The index of the line holding byte `offset`.
        func index(of offset: Int) -> Int {
            var low = 0
            var high = starts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if starts[mid] <= offset { low = mid } else { high = mid - 1 }
            }
            return low
        }
    }

    private enum Annotation {
        /// `-- +goose …`: the words after `+goose`.
        case goose(words: [String])
        /// `-- migrate:NAME …`: the name and the words after it.
        case dbmate(name: String, options: [String])
    }

    /// The annotation on the line `start..<end`, if it is one.
    private static func annotation(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Annotation? {
        guard end - start >= 2, buffer[start] == UInt8(ascii: "-"), buffer[start + 1] == UInt8(ascii: "-") else { return nil }
        var i = start + 2
        while i < end, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 }
        func hasPrefix(_ prefix: StaticString, caseInsensitive: Bool) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard end - i >= count else { return false }
            for k in 0..<count {
                var c = buffer[i + k]
                if caseInsensitive, SQLLexer.isLetter(c) { c |= 0x20 }
                if c != prefix.utf8Start[k] { return false }
            }
            return true
        }
        func words(from j: Int) -> [String] {
            String(decoding: UnsafeBufferPointer(rebasing: buffer[j..<end]), as: UTF8.self)
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        }
        if hasPrefix("+goose", caseInsensitive: true) {
            let after = i + 6
            guard after == end || buffer[after] == 0x20 || buffer[after] == 0x09 else { return nil }
            return .goose(words: words(from: after))
        }
        if hasPrefix("migrate:", caseInsensitive: false) {
            var j = i + 8
            let nameStart = j
            while j < end, buffer[j] != 0x20, buffer[j] != 0x09 { j += 1 }
            let name = String(decoding: UnsafeBufferPointer(rebasing: buffer[nameStart..<j]), as: UTF8.self)
            return .dbmate(name: name, options: words(from: j))
        }
        return nil
    }

    private static func flavorOfFirstAnnotation(_ buffer: UnsafeBufferPointer<UInt8>, _ lines: Lines) -> Flavor? {
        for index in 0..<lines.count {
            switch annotation(buffer, lines.starts[index], lines.contentEnds[index]) {
            case .goose: return .goose
            case .dbmate: return .dbmate
            case nil: continue
            }
        }
        return nil
    }

    /// Whether the line is blank or a `--` comment.
    private static func isTriviaLine(_ buffer: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end, SQLLexer.isSpace(buffer[i]) { i += 1 }
        if i == end { return true }
        return end - i >= 2 && buffer[i] == UInt8(ascii: "-") && buffer[i + 1] == UInt8(ascii: "-")
    }

    // MARK: Parsing

    /// A section being read: where its text begins and ends, and its regions (goose).
    private struct Section {
        var annotationLine: Int
        var start: Int
        var end: Int
        var regions: [Region] = []
    }

    /// A part of a goose section: plain SQL to split, or a `StatementBegin`/`StatementEnd` block.
    private struct Region {
        var isBlock: Bool
        var start: Int
        var end: Int
    }

    private struct Parser {
        let buffer: UnsafeBufferPointer<UInt8>
        let lines: Lines
        let path: String

        func location(line index: Int) -> SourceLocation {
            SourceLocation(file: path, line: index + 1, column: 1)
        }

        func location(ofOffset offset: Int) -> SourceLocation {
            let index = lines.index(of: offset)
            var column = 1
            var i = lines.starts[index]
            while i < offset {
                if buffer[i] & 0xC0 != 0x80 { column += 1 }
                i += 1
            }
            return SourceLocation(file: path, line: index + 1, column: column)
        }

        func script(_ section: Section) -> MigrationScript {
            let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[section.start..<section.end]), as: UTF8.self)
            return MigrationScript(path: path, sql: text, firstLine: section.annotationLine + 2)
        }

        // MARK: dbmate

        func parseDbmate() throws(StrataError) -> Result {
            var up: Section?
            var down: Section?
            var upTransactional = true
            var downTransactional = true
            for index in 0..<lines.count {
                let start = lines.starts[index]
                let end = lines.contentEnds[index]
                guard case .dbmate(let name, let options)? = annotation(buffer, start, end) else {
                    if up == nil, !isTriviaLine(buffer, start, end) {
                        throw StrataError(.invalidFile, "SQL before the '-- migrate:up' annotation",
                                          location: location(line: index),
                                          hint: "dbmate runs only what is inside the '-- migrate:up' and '-- migrate:down' sections")
                    }
                    continue
                }
                let transactional = try dbmateTransactional(options, name: name, line: index)
                switch name {
                case "up":
                    if let up {
                        throw StrataError(.invalidFile, "duplicate '-- migrate:up' annotation (the first is on line \(up.annotationLine + 1))",
                                          location: location(line: index))
                    }
                    if let down {
                        throw StrataError(.invalidFile, "'-- migrate:up' must come before '-- migrate:down' (line \(down.annotationLine + 1))",
                                          location: location(line: index))
                    }
                    up = Section(annotationLine: index, start: lines.nexts[index], end: buffer.count)
                    upTransactional = transactional
                case "down":
                    guard up != nil else {
                        throw StrataError(.invalidFile, "'-- migrate:down' before '-- migrate:up'", location: location(line: index),
                                          hint: "put the up section first")
                    }
                    if let down {
                        throw StrataError(.invalidFile, "duplicate '-- migrate:down' annotation (the first is on line \(down.annotationLine + 1))",
                                          location: location(line: index))
                    }
                    up?.end = start
                    down = Section(annotationLine: index, start: lines.nexts[index], end: buffer.count)
                    downTransactional = transactional
                default:
                    throw StrataError(.invalidFile, "unknown dbmate annotation '-- migrate:\(name)'", location: location(line: index),
                                      hint: "dbmate annotations are '-- migrate:up' and '-- migrate:down', optionally followed by transaction:false")
                }
            }
            guard let up else {
                throw StrataError(.invalidFile, "no '-- migrate:up' annotation", location: location(line: 0),
                                  hint: "start the up section with '-- migrate:up'")
            }
            return Result(flavor: .dbmate, up: script(up), down: down.map(script), upTransactional: upTransactional,
                          downTransactional: downTransactional, upStatements: nil, downStatements: nil,
                          usesEnvironmentSubstitution: false)
        }

        func dbmateTransactional(_ options: [String], name: String, line: Int) throws(StrataError) -> Bool {
            var transactional = true
            for option in options {
                switch option {
                case "transaction:false": transactional = false
                case "transaction:true": transactional = true
                default:
                    throw StrataError(.invalidFile, "unknown option '\(option)' for '-- migrate:\(name)'", location: location(line: line),
                                      hint: "dbmate sections take 'transaction:false'")
                }
            }
            return transactional
        }

        // MARK: goose

        private enum GooseState { case start, up, upBlock, down, downBlock }

        func parseGoose(dialect: SQLDialect, environment: [String: String]?) throws(StrataError) -> Result {
            var state = GooseState.start
            var up: Section?
            var down: Section?
            var plainStart = 0
            var blockStart = 0
            var blockLine = 0
            var noTransaction = false
            var envsub = false
            var usesEnvsub = false
            var annotationLines = [Bool](repeating: false, count: lines.count)
            var envsubLines = [Bool](repeating: false, count: lines.count)

            func closePlain(_ end: Int) {
                let region = Region(isBlock: false, start: plainStart, end: end)
                if state == .up || state == .upBlock { up?.regions.append(region) } else { down?.regions.append(region) }
            }

            for index in 0..<lines.count {
                let start = lines.starts[index]
                let end = lines.contentEnds[index]
                let next = lines.nexts[index]
                guard case .goose(let words)? = annotation(buffer, start, end) else {
                    if state == .start, !isTriviaLine(buffer, start, end) {
                        throw StrataError(.invalidFile, "SQL before the '-- +goose Up' annotation", location: location(line: index),
                                          hint: "goose runs only what is inside the '-- +goose Up' and '-- +goose Down' sections")
                    }
                    envsubLines[index] = envsub
                    continue
                }
                annotationLines[index] = true
                let written = "-- +goose " + words.joined(separator: " ")
                switch words.joined(separator: " ").lowercased() {
                case "up":
                    switch state {
                    case .start:
                        up = Section(annotationLine: index, start: next, end: buffer.count)
                        plainStart = next
                        state = .up
                    case .up, .upBlock:
                        throw StrataError(.invalidFile, "duplicate '-- +goose Up' annotation (the first is on line \(up!.annotationLine + 1))",
                                          location: location(line: index))
                    case .down, .downBlock:
                        throw StrataError(.invalidFile, "'-- +goose Up' must come before '-- +goose Down' (line \(down!.annotationLine + 1))",
                                          location: location(line: index))
                    }
                case "down":
                    switch state {
                    case .up:
                        closePlain(start)
                        up?.end = start
                        down = Section(annotationLine: index, start: next, end: buffer.count)
                        plainStart = next
                        state = .down
                    case .start:
                        throw StrataError(.invalidFile, "'-- +goose Down' before '-- +goose Up'", location: location(line: index),
                                          hint: "put the up section first")
                    case .upBlock, .downBlock:
                        throw unclosedBlock(blockLine, before: "'\(written)'")
                    case .down:
                        throw StrataError(.invalidFile, "duplicate '-- +goose Down' annotation (the first is on line \(down!.annotationLine + 1))",
                                          location: location(line: index))
                    }
                case "statementbegin":
                    switch state {
                    case .up, .down:
                        closePlain(start)
                        blockStart = next
                        blockLine = index
                        state = state == .up ? .upBlock : .downBlock
                    case .start:
                        throw StrataError(.invalidFile, "'\(written)' before '-- +goose Up'", location: location(line: index),
                                          hint: "statement blocks go inside the '-- +goose Up' or '-- +goose Down' section")
                    case .upBlock, .downBlock:
                        throw unclosedBlock(blockLine, before: "another '\(written)' on line \(index + 1)")
                    }
                case "statementend":
                    switch state {
                    case .upBlock, .downBlock:
                        let region = Region(isBlock: true, start: blockStart, end: start)
                        if state == .upBlock { up?.regions.append(region) } else { down?.regions.append(region) }
                        plainStart = next
                        state = state == .upBlock ? .up : .down
                    default:
                        throw StrataError(.invalidFile, "'\(written)' without a matching '-- +goose StatementBegin'",
                                          location: location(line: index))
                    }
                case "no transaction":
                    noTransaction = true
                case "envsub on":
                    envsub = true
                    usesEnvsub = true
                case "envsub off":
                    envsub = false
                default:
                    throw StrataError(.invalidFile, "unknown goose annotation '\(written)'", location: location(line: index),
                                      hint: "goose annotations: Up, Down, StatementBegin, StatementEnd, NO TRANSACTION, ENVSUB ON, ENVSUB OFF")
                }
            }
            switch state {
            case .start:
                throw StrataError(.invalidFile, "no '-- +goose Up' annotation", location: location(line: 0),
                                  hint: "start the up section with '-- +goose Up'")
            case .upBlock, .downBlock:
                throw unclosedBlock(blockLine, before: "the end of the file")
            case .up, .down:
                closePlain(buffer.count)
            }
            guard let up else { preconditionFailure("goose parser left the start state without an up section") }

            let context = StatementContext(dialect: dialect, environment: environment, annotationLines: annotationLines,
                                           envsubLines: envsubLines)
            return Result(flavor: .goose, up: script(up), down: down.map(script),
                          upTransactional: !noTransaction, downTransactional: !noTransaction,
                          upStatements: try statements(of: up, context),
                          downStatements: try down.flatMap { (section) throws(StrataError) in try statements(of: section, context) },
                          usesEnvironmentSubstitution: usesEnvsub)
        }

        func unclosedBlock(_ line: Int, before: String) -> StrataError {
            StrataError(.invalidFile, "'-- +goose StatementBegin' has no matching '-- +goose StatementEnd' before \(before)",
                        location: location(line: line), hint: "end the statement block with '-- +goose StatementEnd'")
        }

        struct StatementContext {
            var dialect: SQLDialect
            var environment: [String: String]?
            var annotationLines: [Bool]
            var envsubLines: [Bool]
        }

        /// The goose statements of a section, or `nil` when plain splitting gives the same; throws
        /// when a plain region ends in a statement without `;`.
        func statements(of section: Section, _ context: StatementContext) throws(StrataError) -> [SQLStatement]? {
            var ranges: [Range<Int>] = []
            var hasBlock = false
            for region in section.regions where region.start < region.end {
                let slice = UnsafeBufferPointer(rebasing: buffer[region.start..<region.end])
                if region.isBlock {
                    hasBlock = true
                    if let range = SQLSplitter.significantRange(slice, dialect: context.dialect) {
                        ranges.append((range.lowerBound + region.start)..<(range.upperBound + region.start))
                    }
                } else {
                    let pieces = SQLSplitter.scan(slice, dialect: context.dialect).pieces
                    for piece in pieces {
                        ranges.append((piece.start + region.start)..<(piece.end + region.start))
                    }
                    if let last = pieces.last, slice[last.end - 1] != UInt8(ascii: ";") {
                        throw StrataError(.invalidFile, "statement does not end with ';'",
                                          location: location(ofOffset: last.start + region.start),
                                          hint: "goose ends a statement at a line ending in ';'; add the ';' or wrap the statement "
                                              + "in '-- +goose StatementBegin' and '-- +goose StatementEnd'")
                    }
                }
            }
            let firstLine = lines.index(of: section.start)
            let lastLine = section.end > section.start ? lines.index(of: section.end - 1) : firstLine - 1
            let substitutes = context.environment != nil
                && firstLine <= lastLine && context.envsubLines[firstLine...lastLine].contains(true)
            guard hasBlock || substitutes else { return nil }
            return ranges.map { range in
                SQLStatement(text: text(of: range, context), utf8Range: (range.lowerBound - section.start)..<(range.upperBound - section.start),
                             location: location(ofOffset: range.lowerBound))
            }
        }

        /// The text of `range` without goose annotation lines, with `ENVSUB ON` lines substituted.
        func text(of range: Range<Int>, _ context: StatementContext) -> String {
            var out = ""
            var index = lines.index(of: range.lowerBound)
            while index < lines.count, lines.starts[index] < range.upperBound {
                let from = max(range.lowerBound, lines.starts[index])
                let to = min(range.upperBound, lines.nexts[index])
                if !context.annotationLines[index] {
                    let piece = String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self)
                    if context.envsubLines[index], let environment = context.environment {
                        out += EnvironmentSubstitution.substitute(piece[...], environment: environment)
                    } else {
                        out += piece
                    }
                }
                index += 1
            }
            return out
        }
    }
}
