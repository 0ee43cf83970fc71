/// The byte-level tokenizer under ``SQLSplitter``, ``ScriptDirectives`` and ``SectionParser``.
///
/// It only knows what it takes to find statement boundaries: whitespace, comments, quoted text
/// (strings, quoted identifiers, dollar quotes), words, `;` and single punctuation bytes. It never
/// fails: an unterminated quote or comment runs to the end of the input, as a database would read it.
struct SQLLexer {
    /// What a token is.
    enum Kind: Equatable {
        /// A run of spaces, tabs and line breaks.
        case whitespace
        /// A `--` line comment (without its line break) or a `/* … */` block comment.
        case comment
        /// An identifier, keyword or number: letters, digits, `_`, `$` and non-ASCII bytes.
        case word
        /// A string, quoted identifier or dollar-quoted body, quotes included.
        case quoted
        /// `;`.
        case semicolon
        /// Any other single byte.
        case punctuation
    }

    /// One token: its kind and the byte just after it.
    struct Token {
        var kind: Kind
        var end: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let count: Int
    /// `/* /* */ */` nests (PostgreSQL); SQLite ends a comment at the first `*/`.
    let nestedComments: Bool
    /// `$$…$$` and `$tag$…$tag$` (PostgreSQL).
    let dollarQuotes: Bool
    /// `E'…'` strings with backslash escapes (PostgreSQL).
    let escapeStrings: Bool
    /// `[identifier]` (SQLite).
    let brackets: Bool
    /// Only take `[` as an identifier quote when its `]` follows on the same line with no quote
    /// in between (the generic dialect, where `[` may also be a PostgreSQL array subscript).
    let bracketHeuristic: Bool
    /// `` `identifier` `` (SQLite, MySQL).
    let backticks: Bool

    init(_ bytes: UnsafeBufferPointer<UInt8>, dialect: SQLDialect) {
        self.bytes = bytes
        self.count = bytes.count
        switch dialect {
        case .generic:
            nestedComments = true
            dollarQuotes = true
            escapeStrings = true
            brackets = true
            bracketHeuristic = true
            backticks = true
        case .sqlite:
            nestedComments = false
            dollarQuotes = false
            escapeStrings = false
            brackets = true
            bracketHeuristic = false
            backticks = true
        case .postgres:
            nestedComments = true
            dollarQuotes = true
            escapeStrings = true
            brackets = false
            bracketHeuristic = false
            backticks = false
        }
    }

    /// Whether the input starts with a UTF-8 byte order mark, which counts as whitespace.
    var hasByteOrderMark: Bool {
        count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    // MARK: Character classes

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x09 || c == 0x0D || c == 0x0C || c == 0x0B
    }

    @inline(__always) static func isLetter(_ c: UInt8) -> Bool {
        let l = c | 0x20
        return l >= 0x61 && l <= 0x7A
    }

    @inline(__always) static func isDigit(_ c: UInt8) -> Bool {
        c >= 0x30 && c <= 0x39
    }

    /// A byte that can begin an identifier: a letter, `_`, or part of a non-ASCII character.
    @inline(__always) static func isIdentifierStart(_ c: UInt8) -> Bool {
        isLetter(c) || c == 0x5F || c >= 0x80
    }

    /// A byte that can continue an identifier (PostgreSQL also allows `$`).
    @inline(__always) static func isIdentifierByte(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || isDigit(c) || c == 0x24
    }

    // MARK: Tokens

    /// The token that starts at `i` (`i < count`).
    func token(at i: Int) -> Token {
        let c = bytes[i]
        if Self.isSpace(c) || (i == 0 && hasByteOrderMark) {
            var j = i == 0 && hasByteOrderMark ? 3 : i + 1
            while j < count, Self.isSpace(bytes[j]) { j += 1 }
            return Token(kind: .whitespace, end: j)
        }
        switch c {
        case UInt8(ascii: "-"):
            if i + 1 < count, bytes[i + 1] == UInt8(ascii: "-") {
                return Token(kind: .comment, end: lineCommentEnd(i))
            }
        case UInt8(ascii: "/"):
            if i + 1 < count, bytes[i + 1] == UInt8(ascii: "*") {
                return Token(kind: .comment, end: blockCommentEnd(i))
            }
        case UInt8(ascii: ";"):
            return Token(kind: .semicolon, end: i + 1)
        case UInt8(ascii: "'"):
            return Token(kind: .quoted, end: stringEnd(i, backslashEscapes: false))
        case UInt8(ascii: "\""):
            return Token(kind: .quoted, end: delimitedEnd(i, close: UInt8(ascii: "\"")))
        case UInt8(ascii: "`"):
            if backticks { return Token(kind: .quoted, end: delimitedEnd(i, close: UInt8(ascii: "`"))) }
        case UInt8(ascii: "["):
            if brackets, let end = bracketEnd(i) { return Token(kind: .quoted, end: end) }
        case UInt8(ascii: "$"):
            if dollarQuotes, let tagLength = dollarTagLength(i) {
                return Token(kind: .quoted, end: dollarEnd(i, tagLength: tagLength))
            }
        default:
            if Self.isIdentifierStart(c) {
                if escapeStrings, c | 0x20 == UInt8(ascii: "e"), i + 1 < count, bytes[i + 1] == UInt8(ascii: "'") {
                    return Token(kind: .quoted, end: stringEnd(i + 1, backslashEscapes: true))
                }
                return Token(kind: .word, end: wordEnd(i))
            }
            if Self.isDigit(c) {
                return Token(kind: .word, end: wordEnd(i))
            }
        }
        return Token(kind: .punctuation, end: i + 1)
    }

    /// The first byte at or after `i` that is neither whitespace nor inside a comment.
    func skipTrivia(from i: Int) -> Int {
        var j = i
        while j < count {
            let t = token(at: j)
            guard t.kind == .whitespace || t.kind == .comment else { return j }
            j = t.end
        }
        return count
    }

    /// Whether the word `start..<end` is `keyword` (uppercase ASCII letters), ignoring case.
    @inline(__always) func word(_ start: Int, _ end: Int, is keyword: StaticString) -> Bool {
        guard end - start == keyword.utf8CodeUnitCount else { return false }
        let k = keyword.utf8Start
        for n in 0..<(end - start) where bytes[start + n] & 0xDF != k[n] { return false }
        return true
    }

    // MARK: Token ends

    /// `i` is at `--`: the index of the line break that ends the comment, or `count`.
    func lineCommentEnd(_ i: Int) -> Int {
        var j = i + 2
        while j < count, bytes[j] != 0x0A { j += 1 }
        return j
    }

    /// `i` is at `/*`: the index after the closing `*/`, or `count`.
    func blockCommentEnd(_ i: Int) -> Int {
        var depth = 1
        var j = i + 2
        while j + 1 < count {
            let c = bytes[j]
            if c == UInt8(ascii: "*"), bytes[j + 1] == UInt8(ascii: "/") {
                depth -= 1
                j += 2
                if depth == 0 { return j }
            } else if nestedComments, c == UInt8(ascii: "/"), bytes[j + 1] == UInt8(ascii: "*") {
                depth += 1
                j += 2
            } else {
                j += 1
            }
        }
        return count
    }

    /// `i` is at `'`: the index after the closing quote (`''` is a quote inside), or `count`.
    func stringEnd(_ i: Int, backslashEscapes: Bool) -> Int {
        var j = i + 1
        while j < count {
            let c = bytes[j]
            if c == UInt8(ascii: "'") {
                if j + 1 < count, bytes[j + 1] == UInt8(ascii: "'") {
                    j += 2
                    continue
                }
                return j + 1
            }
            if backslashEscapes, c == UInt8(ascii: "\\") {
                j += 2
                continue
            }
            j += 1
        }
        return count
    }

    /// `i` is at an opening `close` byte: the index after the closing one (doubled means inside).
    func delimitedEnd(_ i: Int, close: UInt8) -> Int {
        var j = i + 1
        while j < count {
            if bytes[j] == close {
                if j + 1 < count, bytes[j + 1] == close {
                    j += 2
                    continue
                }
                return j + 1
            }
            j += 1
        }
        return count
    }

    /// `i` is at `[`: the index after `]`, or `nil` when `[` is not an identifier quote here.
    func bracketEnd(_ i: Int) -> Int? {
        var j = i + 1
        while j < count {
            let c = bytes[j]
            if c == UInt8(ascii: "]") { return j + 1 }
            if bracketHeuristic,
               c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") || c == 0x0A || c == UInt8(ascii: "[") {
                return nil
            }
            j += 1
        }
        return bracketHeuristic ? nil : count
    }

    /// `i` is at `$`: the length of the opening `$$` or `$tag$`, or `nil` (for example `$1`).
    func dollarTagLength(_ i: Int) -> Int? {
        var j = i + 1
        guard j < count else { return nil }
        if bytes[j] == UInt8(ascii: "$") { return 2 }
        guard Self.isIdentifierStart(bytes[j]) else { return nil }
        j += 1
        while j < count, Self.isIdentifierStart(bytes[j]) || Self.isDigit(bytes[j]) { j += 1 }
        guard j < count, bytes[j] == UInt8(ascii: "$") else { return nil }
        return j - i + 1
    }

    /// `i` is at an opening dollar tag of `tagLength` bytes: the index after the closing tag, or `count`.
    func dollarEnd(_ i: Int, tagLength: Int) -> Int {
        var j = i + tagLength
        while j + tagLength <= count {
            if bytes[j] == UInt8(ascii: "$") {
                var same = true
                for k in 1..<tagLength where bytes[j + k] != bytes[i + k] {
                    same = false
                    break
                }
                if same { return j + tagLength }
            }
            j += 1
        }
        return count
    }

    /// `i` is at a word: the index after it.
    func wordEnd(_ i: Int) -> Int {
        var j = i + 1
        while j < count, Self.isIdentifierByte(bytes[j]) { j += 1 }
        return j
    }
}

/// Line and column of byte offsets, computed by walking forward; offsets must not decrease.
struct ForwardLocator {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var offset = 0
    private(set) var line: Int
    private(set) var column = 1

    init(_ bytes: UnsafeBufferPointer<UInt8>, firstLine: Int = 1) {
        self.bytes = bytes
        self.line = firstLine
    }

    /// Moves to `target` (not before the current offset) and returns its line and column.
    mutating func advance(to target: Int) -> (line: Int, column: Int) {
        var i = offset
        while i < target {
            let c = bytes[i]
            if c == 0x0A {
                line += 1
                column = 1
            } else if c & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        offset = max(offset, target)
        return (line, column)
    }
}
