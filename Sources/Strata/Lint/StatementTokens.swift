/// The significant tokens of one SQL statement (no whitespace, no comments), for the linter's
/// pattern matching.
///
/// Words are kept uppercased in ``Token/upper``; quoted identifiers (`"x"`, `` `x` ``, `[x]`) are
/// words too, with ``Token/name`` unquoted, so `"Users"` and `users` name the same table only when
/// the engine folds case (the linter lowercases names).
struct StatementTokens {
    /// One token.
    struct Token {
        enum Kind: Equatable {
            /// A keyword, unquoted identifier or number.
            case word
            /// A quoted identifier.
            case identifier
            /// A string literal (`'…'`, `E'…'`, `$$…$$`).
            case string
            /// `;`.
            case semicolon
            /// Any other single character: `(`, `)`, `,`, `.`, `=`, `-`…
            case punctuation
        }

        var kind: Kind
        /// The text as written.
        var text: String
        /// UTF-8 offset of the token in the statement text.
        var offset: Int
        /// The text uppercased, for words (kept once: the checks compare keywords many times);
        /// empty for other kinds.
        private var folded: String
        /// The first byte of the text (the character of a punctuation token).
        private var firstByte: UInt8

        init(kind: Kind, text: String, offset: Int) {
            self.kind = kind
            self.text = text
            self.offset = offset
            folded = kind == .word ? text.uppercased() : ""
            firstByte = text.utf8.first ?? 0
        }

        /// The text uppercased (keywords are compared with this).
        var upper: String { kind == .word ? folded : text.uppercased() }

        /// The identifier it names: quotes removed, lowercased.
        var name: String {
            switch kind {
            case .identifier: String(text.dropFirst().dropLast()).lowercased()
            default: text.lowercased()
            }
        }

        /// Whether the token is the keyword `keyword` (uppercase).
        func `is`(_ keyword: String) -> Bool { kind == .word && folded == keyword }

        /// Whether the token is the punctuation character `c` (ASCII).
        func isPunctuation(_ c: Unicode.Scalar) -> Bool { kind == .punctuation && UInt32(firstByte) == c.value }

        /// Whether the token can be a name (a word or a quoted identifier).
        var isName: Bool { kind == .word || kind == .identifier }
    }

    /// The tokens, in order.
    let tokens: [Token]

    /// Tokenizes a statement's text.
    init(_ text: String, dialect: SQLDialect) {
        var text = text
        tokens = text.withUTF8 { buffer in
            let lexer = SQLLexer(buffer, dialect: dialect)
            var tokens: [Token] = []
            var i = 0
            while i < lexer.count {
                let token = lexer.token(at: i)
                let kind: Token.Kind
                switch token.kind {
                case .whitespace, .comment:
                    i = token.end
                    continue  // no text made for what the checks never see
                case .word:
                    kind = .word
                case .quoted:
                    let first = buffer[i]
                    let isIdentifier = first == UInt8(ascii: "\"") || first == UInt8(ascii: "`") || first == UInt8(ascii: "[")
                    kind = isIdentifier ? .identifier : .string
                case .semicolon:
                    kind = .semicolon
                case .punctuation:
                    kind = .punctuation
                }
                let piece = String(decoding: UnsafeBufferPointer(rebasing: buffer[i..<token.end]), as: UTF8.self)
                tokens.append(Token(kind: kind, text: piece, offset: i))
                i = token.end
            }
            return tokens
        }
    }

    var count: Int { tokens.count }

    subscript(_ i: Int) -> Token? { i >= 0 && i < tokens.count ? tokens[i] : nil }

    /// Whether the tokens from `start` are the keywords `words`, in order.
    func matches(_ words: [String], at start: Int) -> Bool {
        guard start >= 0, start + words.count <= tokens.count else { return false }
        for (k, word) in words.enumerated() where !tokens[start + k].is(word) { return false }
        return true
    }

    /// The index of the first occurrence of the keyword sequence `words` at or after `start`, at
    /// parenthesis depth 0 relative to `start` when `topLevel`.
    func find(_ words: [String], from start: Int, to end: Int? = nil, topLevel: Bool = false) -> Int? {
        var depth = 0
        let end = min(end ?? tokens.count, tokens.count)
        var i = start
        while i < end {
            let t = tokens[i]
            if t.isPunctuation("(") { depth += 1 } else if t.isPunctuation(")") { depth -= 1 }
            if (!topLevel || depth == 0), matches(words, at: i) { return i }
            i += 1
        }
        return nil
    }

    /// Skips the optional keyword sequences at `i` (each tried once, in order) and returns where
    /// the tokens continue.
    func skipping(_ optional: [[String]], at i: Int) -> Int {
        var j = i
        for words in optional where matches(words, at: j) { j += words.count }
        return j
    }

    /// The (possibly schema-qualified) name at `i`: its last component, lowercased, and the index
    /// after it; `nil` when there is no name at `i`.
    func qualifiedName(at i: Int) -> (name: String, next: Int)? {
        guard let first = self[i], first.isName else { return nil }
        var name = first.name
        var j = i + 1
        while let dot = self[j], dot.isPunctuation("."), let part = self[j + 1], part.isName {
            name = part.name
            j += 2
        }
        return (name, j)
    }

    /// The index just after the parenthesis that closes the one at `open`, or `count`.
    func closing(_ open: Int) -> Int {
        var depth = 0
        var i = open
        while i < tokens.count {
            if tokens[i].isPunctuation("(") { depth += 1 } else if tokens[i].isPunctuation(")") {
                depth -= 1
                if depth == 0 { return i + 1 }
            }
            i += 1
        }
        return tokens.count
    }

    /// The ranges of `start..<end` separated by top-level commas.
    func commaSeparated(from start: Int, to end: Int) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var depth = 0
        var partStart = start
        var i = start
        while i < end {
            let t = tokens[i]
            if t.isPunctuation("(") { depth += 1 } else if t.isPunctuation(")") { depth -= 1 } else if depth == 0, t.isPunctuation(",") {
                parts.append(partStart..<i)
                partStart = i + 1
            }
            i += 1
        }
        if partStart < end { parts.append(partStart..<end) }
        return parts
    }

    /// The statement's end, before a trailing `;`.
    var end: Int { tokens.last?.kind == .semicolon ? tokens.count - 1 : tokens.count }
}
