/// Splits SQL scripts into statements without a database, so each statement can be run, located
/// in its file and linted on its own.
///
/// ```swift
/// let statements = SQLSplitter.split("CREATE TABLE t (a int);\n-- note\nINSERT INTO t VALUES (1);")
/// // statements[1].text == "INSERT INTO t VALUES (1);", statements[1].location.line == 3
/// ```
///
/// The splitter is a byte-level scanner. A `;` ends a statement except inside
/// - strings `'…'` (with `''`), PostgreSQL `E'…'` strings (with backslash escapes) and quoted
///   identifiers `"…"`, `` `…` `` and SQLite `[…]`;
/// - PostgreSQL dollar quotes `$$…$$` and `$tag$…$tag$` (`$1` parameters are not quotes);
/// - `--` line comments and `/* … */` block comments (nested for PostgreSQL and the generic
///   dialect, not for SQLite, which ends a comment at the first `*/`);
/// - the `BEGIN … END` body of `CREATE [TEMP|TEMPORARY] TRIGGER` (SQLite), counting
///   `CASE … END` inside it, and the `BEGIN ATOMIC … END` body of a PostgreSQL
///   `CREATE [OR REPLACE] FUNCTION|PROCEDURE`;
/// - the parenthesised action list of a PostgreSQL `CREATE RULE … DO (…; …)`.
///
/// Plain `BEGIN;`, `BEGIN TRANSACTION;` and `COMMIT;` are ordinary statements. Empty statements
/// (a lone `;`) and pieces that hold only whitespace and comments are not statements.
///
/// The ``SQLDialect/generic`` dialect understands all of the above at once. There, `[` is taken
/// as a SQLite identifier quote only when its `]` follows on the same line with no quote
/// character in between, so PostgreSQL array subscripts such as `a['x]']` still read correctly.
public enum SQLSplitter {
    /// The statements of `sql`, in order; comment-only and empty pieces are left out.
    ///
    /// Each statement's ``SQLStatement/text`` runs from its first significant character (not
    /// whitespace, not a comment) through its terminating `;`, or, for a last statement without
    /// `;`, through its last significant character. Comments before a statement are not part of it;
    /// comments after its first significant character are. ``SQLStatement/utf8Range`` is the
    /// range of ``SQLStatement/text`` in `sql`; ``SQLStatement/location`` is relative to the script
    /// (empty file name, line 1, column 1; columns count Unicode scalars).
    public static func split(_ sql: String, dialect: SQLDialect = .generic) -> [SQLStatement] {
        var sql = sql
        return sql.withUTF8 { buffer in
            let pieces = scan(buffer, dialect: dialect).pieces
            var locator = ForwardLocator(buffer)
            var statements: [SQLStatement] = []
            statements.reserveCapacity(pieces.count)
            for piece in pieces {
                let position = locator.advance(to: piece.start)
                let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[piece.start..<piece.end]), as: UTF8.self)
                statements.append(SQLStatement(
                    text: text, utf8Range: piece.start..<piece.end,
                    location: SourceLocation(file: "", line: position.line, column: position.column)))
            }
            return statements
        }
    }

    /// Whether ``split(_:dialect:)`` finds at least one statement, found by reading only up to the
    /// first significant token (anything but whitespace, comments and `;` starts a statement).
    static func containsStatement(_ sql: String, dialect: SQLDialect = .generic) -> Bool {
        var sql = sql
        return sql.withUTF8 { buffer in
            let lexer = SQLLexer(buffer, dialect: dialect)
            var i = 0
            while i < lexer.count {
                let token = lexer.token(at: i)
                switch token.kind {
                case .whitespace, .comment, .semicolon: i = token.end
                case .word, .quoted, .punctuation: return true
                }
            }
            return false
        }
    }

    /// UTF-8 byte ranges that cover `sql` exactly, in order, without gaps or overlaps: one per
    /// statement of ``split(_:dialect:)`` (the statement with the whitespace, comments and empty
    /// statements before it), then one for whatever follows the last statement, when not empty.
    ///
    /// Joining the pieces gives back `sql` byte for byte. An empty script has no segments.
    public static func segments(_ sql: String, dialect: SQLDialect = .generic) -> [Range<Int>] {
        var sql = sql
        return sql.withUTF8 { buffer in
            let scanned = scan(buffer, dialect: dialect)
            var ranges = scanned.pieces.map { $0.segmentStart..<$0.end }
            if scanned.trailingStart < buffer.count { ranges.append(scanned.trailingStart..<buffer.count) }
            return ranges
        }
    }

    /// The first `count` words of `statement`, uppercased, skipping whitespace and comments; stops
    /// early at anything that is not a word (a quote, a parenthesis, `;`).
    ///
    /// ```swift
    /// SQLSplitter.firstKeywords("/* x */ create index concurrently i on t (a);", count: 3)
    /// // ["CREATE", "INDEX", "CONCURRENTLY"]
    /// ```
    public static func firstKeywords(_ statement: String, count: Int) -> [String] {
        guard count > 0 else { return [] }
        var statement = statement
        return statement.withUTF8 { buffer in
            let lexer = SQLLexer(buffer, dialect: .generic)
            var words: [String] = []
            var i = lexer.skipTrivia(from: 0)
            while i < lexer.count, words.count < count {
                let token = lexer.token(at: i)
                guard token.kind == .word else { break }
                words.append(String(decoding: UnsafeBufferPointer(rebasing: buffer[i..<token.end]), as: UTF8.self).uppercased())
                i = lexer.skipTrivia(from: token.end)
            }
            return words
        }
    }

    /// `sql` without the whitespace and comments at its start and end.
    ///
    /// ```swift
    /// SQLSplitter.trimmingTrivia("-- note\nSELECT 1; -- done\n") // "SELECT 1;"
    /// ```
    public static func trimmingTrivia(_ sql: String, dialect: SQLDialect = .generic) -> String {
        var sql = sql
        return sql.withUTF8 { buffer in
            guard let range = significantRange(buffer, dialect: dialect) else { return "" }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
    }

    // MARK: Internals shared with the other parsers

    /// One statement found by ``scan(_:dialect:)``, as byte offsets.
    struct Piece: Equatable {
        /// Where the statement's segment (its leading trivia) begins.
        var segmentStart: Int
        /// The first significant byte.
        var start: Int
        /// Just after the terminating `;`, or after the last significant byte.
        var end: Int
    }

    /// The statements of `buffer` and where the trailing trivia begins.
    static func scan(_ buffer: UnsafeBufferPointer<UInt8>, dialect: SQLDialect) -> (pieces: [Piece], trailingStart: Int) {
        let lexer = SQLLexer(buffer, dialect: dialect)
        var pieces: [Piece] = []
        var segmentStart = 0
        var start = -1
        var lastSignificantEnd = 0
        var shape = StatementShape()
        var i = 0
        while i < lexer.count {
            let token = lexer.token(at: i)
            switch token.kind {
            case .whitespace, .comment:
                break
            case .semicolon:
                if start < 0 { break } // an empty statement: its `;` joins the next segment's trivia
                if shape.canEnd {
                    pieces.append(Piece(segmentStart: segmentStart, start: start, end: token.end))
                    segmentStart = token.end
                    start = -1
                } else {
                    lastSignificantEnd = token.end
                }
            case .word:
                if start < 0 {
                    start = i
                    shape = StatementShape()
                }
                shape.word(i, token.end, lexer)
                lastSignificantEnd = token.end
            case .quoted:
                if start < 0 {
                    start = i
                    shape = StatementShape()
                }
                shape.other()
                lastSignificantEnd = token.end
            case .punctuation:
                if start < 0 {
                    start = i
                    shape = StatementShape()
                }
                shape.punctuation(lexer.bytes[i])
                lastSignificantEnd = token.end
            }
            i = token.end
        }
        if start >= 0 {
            pieces.append(Piece(segmentStart: segmentStart, start: start, end: lastSignificantEnd))
            segmentStart = lastSignificantEnd
        }
        return (pieces, segmentStart)
    }

    /// From the first significant byte to the end of the last one, or `nil` when there is none.
    static func significantRange(_ buffer: UnsafeBufferPointer<UInt8>, dialect: SQLDialect) -> Range<Int>? {
        let lexer = SQLLexer(buffer, dialect: dialect)
        var first = -1
        var last = 0
        var i = 0
        while i < lexer.count {
            let token = lexer.token(at: i)
            if token.kind != .whitespace && token.kind != .comment {
                if first < 0 { first = i }
                last = token.end
            }
            i = token.end
        }
        return first < 0 ? nil : first..<last
    }
}

/// What the splitter needs to know about the statement being read: whether it has a body whose
/// `;` do not end it, and how deep inside that body it is.
struct StatementShape {
    private enum Mode {
        /// Still reading `CREATE [OR REPLACE] [TEMP] …`.
        case undecided
        /// Any other statement: the next `;` ends it.
        case plain
        /// `CREATE … TRIGGER`: `BEGIN … END` (and `CASE … END`) nest.
        case trigger
        /// `CREATE … FUNCTION|PROCEDURE`: `BEGIN ATOMIC … END` (and `CASE … END`) nest.
        case routine
        /// `CREATE … RULE`: parentheses nest.
        case rule
    }

    private var mode = Mode.undecided
    private var words = 0
    private var depth = 0
    private var parentheses = 0

    /// Whether a `;` here ends the statement.
    var canEnd: Bool { depth == 0 && parentheses == 0 }

    mutating func word(_ start: Int, _ end: Int, _ lexer: SQLLexer) {
        defer { words += 1 }
        switch mode {
        case .plain, .rule:
            return
        case .undecided:
            if words == 0 {
                mode = lexer.word(start, end, is: "CREATE") ? .undecided : .plain
            } else if lexer.word(start, end, is: "TRIGGER") {
                mode = .trigger
            } else if lexer.word(start, end, is: "FUNCTION") || lexer.word(start, end, is: "PROCEDURE") {
                mode = .routine
            } else if lexer.word(start, end, is: "RULE") {
                mode = .rule
            } else if words < 5, lexer.word(start, end, is: "OR") || lexer.word(start, end, is: "REPLACE")
                        || lexer.word(start, end, is: "TEMP") || lexer.word(start, end, is: "TEMPORARY")
                        || lexer.word(start, end, is: "CONSTRAINT") {
                mode = .undecided
            } else {
                mode = .plain
            }
        case .trigger, .routine:
            if lexer.word(start, end, is: "CASE") {
                depth += 1
            } else if lexer.word(start, end, is: "END") {
                if depth > 0 { depth -= 1 }
            } else if lexer.word(start, end, is: "BEGIN") {
                if mode == .trigger {
                    depth += 1
                } else {
                    let next = lexer.skipTrivia(from: end)
                    if next < lexer.count, lexer.token(at: next).kind == .word,
                       lexer.word(next, lexer.wordEnd(next), is: "ATOMIC") {
                        depth += 1
                    }
                }
            }
        }
    }

    mutating func punctuation(_ byte: UInt8) {
        if mode == .undecided { mode = .plain }
        guard mode == .rule else { return }
        if byte == UInt8(ascii: "(") {
            parentheses += 1
        } else if byte == UInt8(ascii: ")"), parentheses > 0 {
            parentheses -= 1
        }
    }

    mutating func other() {
        if mode == .undecided { mode = .plain }
    }
}

extension SQLStatement {
    /// The first `count` words of the statement, uppercased (see ``SQLSplitter/firstKeywords(_:count:)``).
    ///
    /// ```swift
    /// statement.firstKeywords(4) == ["CREATE", "UNIQUE", "INDEX", "CONCURRENTLY"]
    /// ```
    public func firstKeywords(_ count: Int) -> [String] {
        SQLSplitter.firstKeywords(text, count: count)
    }
}
