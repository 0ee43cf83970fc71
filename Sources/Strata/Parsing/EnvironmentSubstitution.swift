/// Replaces environment variables in SQL text, as goose does for lines under `-- +goose ENVSUB ON`.
///
/// Understood forms:
/// - `$NAME` and `${NAME}`: the value, or the empty string when `NAME` is not set;
/// - `${NAME-default}`: the value when `NAME` is set (even to the empty string), else `default`;
/// - `${NAME:-default}`: the value when `NAME` is set and not empty, else `default`;
/// - `\$`: a literal `$`.
///
/// A `$` that begins none of these (`$1`, `$$`, `${` without `}`) is kept as it is. Like goose,
/// a dollar-quote tag such as `$body$` on a substituted line is read as the variable `body`, so
/// keep dollar-quote tags outside `ENVSUB ON` regions.
enum EnvironmentSubstitution {
    /// `text` with its variables replaced from `environment`.
    static func substitute(_ text: Substring, environment: [String: String]) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "$")) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let n = bytes.count
        var i = 0
        func isNameStart(_ c: UInt8) -> Bool { SQLLexer.isLetter(c) || c == UInt8(ascii: "_") }
        func isNameByte(_ c: UInt8) -> Bool { isNameStart(c) || SQLLexer.isDigit(c) }
        func name(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        while i < n {
            let c = bytes[i]
            if c == UInt8(ascii: "\\"), i + 1 < n, bytes[i + 1] == UInt8(ascii: "$") {
                out.append(UInt8(ascii: "$"))
                i += 2
                continue
            }
            guard c == UInt8(ascii: "$"), i + 1 < n else {
                out.append(c)
                i += 1
                continue
            }
            let next = bytes[i + 1]
            if isNameStart(next) {
                var j = i + 2
                while j < n, isNameByte(bytes[j]) { j += 1 }
                out += Array((environment[name(i + 1..<j)] ?? "").utf8)
                i = j
                continue
            }
            if next == UInt8(ascii: "{"), i + 2 < n, isNameStart(bytes[i + 2]),
               let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) {
                var j = i + 3
                while j < close, isNameByte(bytes[j]) { j += 1 }
                let value = environment[name(i + 2..<j)]
                let rest = bytes[j..<close]
                var replacement: String?
                if rest.isEmpty {
                    replacement = value ?? ""
                } else if rest.first == UInt8(ascii: "-") {
                    replacement = value ?? String(decoding: rest.dropFirst(), as: UTF8.self)
                } else if rest.starts(with: [UInt8(ascii: ":"), UInt8(ascii: "-")]) {
                    let fallback = String(decoding: rest.dropFirst(2), as: UTF8.self)
                    replacement = (value?.isEmpty ?? true) ? fallback : value
                }
                if let replacement {
                    out += Array(replacement.utf8)
                    i = close + 1
                    continue
                }
            }
            out.append(c)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
