/// The version of a migration: a sequence of integer components compared numerically.
///
/// Components are separated by `.`, `_` or `-`, so `001`, `1.1.0`, `20241227_143000` and diesel's
/// `2018-01-14-171611` are all versions. Leading zeros and trailing zero components do not count:
/// `001` equals `1`, and `1.0` equals `1`; `1.10` is newer than `1.9`.
///
/// ```swift
/// let a = MigrationVersion("1.9")!
/// let b = MigrationVersion("1.10")!
/// assert(a < b)
/// assert(MigrationVersion("001") == MigrationVersion("1"))
/// ```
///
/// The text as written is kept in ``text`` and is what Strata stores in the history table.
public struct MigrationVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The version exactly as written in the file name, for example `"001"`.
    public let text: String
    /// The numeric components, for example `[1, 1, 0]` for `"1.1.0"`.
    public let components: [UInt64]

    /// Parses a version; returns `nil` unless `text` is digits separated by single `.`, `_` or `-`.
    public init?(_ text: String) {
        var components: [UInt64] = []
        var current: UInt64 = 0
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (m, o1) = current.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                if o1 || o2 { return nil }
                current = s
                digits += 1
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                if digits == 0 { return nil }
                components.append(current)
                current = 0
                digits = 0
            default:
                return nil
            }
        }
        if digits == 0 { return nil }
        components.append(current)
        self.text = text
        self.components = components
    }

    /// The components without trailing zeros, which is what equality and ordering use.
    private var significant: ArraySlice<UInt64> {
        var end = components.count
        while end > 1 && components[end - 1] == 0 { end -= 1 }
        return components[0..<end]
    }

    /// Equal when the components are, trailing zeros aside (`1.0` == `1`, `001` == `1`).
    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        lhs.significant == rhs.significant
    }

    /// Hashes the components, trailing zeros aside, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        for c in significant { hasher.combine(c) }
    }

    /// Compares component by component, numerically (`1.9` < `1.10`).
    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        let a = lhs.significant, b = rhs.significant
        for (x, y) in zip(a, b) where x != y { return x < y }
        return a.count < b.count
    }

    /// The version as written.
    public var description: String { text }
}
