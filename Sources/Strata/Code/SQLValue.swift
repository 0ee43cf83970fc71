/// A value bound to, or read from, a statement run by a Swift-code migration through a
/// ``MigrationDatabase``.
///
/// Literals convert on their own, so arguments read naturally:
///
/// ```swift
/// try await db.execute("UPDATE users SET plan = ? WHERE id = ?", arguments: ["pro", 42])
/// let rows = try await db.rows("SELECT id, email FROM users WHERE email IS NULL")
/// for row in rows { print(row[0].integer ?? 0, row[1].text ?? "-") }
/// ```
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL `NULL`.
    case null
    /// An integer.
    case integer(Int64)
    /// A floating-point number.
    case real(Double)
    /// Text.
    case text(String)
    /// Bytes.
    case blob([UInt8])

    /// The value as text: text as it is, numbers written out, `nil` for `NULL` and blobs.
    public var text: String? {
        switch self {
        case .null, .blob: nil
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let v): v
        }
    }

    /// The value as an integer: integers, whole reals and text that parses; `nil` otherwise.
    public var integer: Int64? {
        switch self {
        case .integer(let v): v
        case .real(let v): v.rounded() == v && abs(v) < 9.2e18 ? Int64(v) : nil
        case .text(let v): Int64(v)
        case .null, .blob: nil
        }
    }

    /// Whether the value is `NULL`.
    public var isNull: Bool { self == .null }

    /// The value as SQL shows it: `NULL`, numbers, `'text'` with quotes doubled, `x'0a1b'`.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): String(v)
        case .real(let v): String(v)
        case .text(let v): "'" + v.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "''") + "'"
        case .blob(let bytes):
            "x'" + bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() + "'"
        }
    }
}

extension SQLValue: ExpressibleByNilLiteral {
    /// `nil` is `NULL`.
    public init(nilLiteral: ()) { self = .null }
}

extension SQLValue: ExpressibleByIntegerLiteral {
    /// An integer literal.
    public init(integerLiteral value: Int64) { self = .integer(value) }
}

extension SQLValue: ExpressibleByFloatLiteral {
    /// A floating-point literal.
    public init(floatLiteral value: Double) { self = .real(value) }
}

extension SQLValue: ExpressibleByStringLiteral {
    /// A string literal.
    public init(stringLiteral value: String) { self = .text(value) }
}

extension SQLValue: ExpressibleByBooleanLiteral {
    /// `true` is `1`, `false` is `0`, as SQLite stores booleans.
    public init(booleanLiteral value: Bool) { self = .integer(value ? 1 : 0) }
}
