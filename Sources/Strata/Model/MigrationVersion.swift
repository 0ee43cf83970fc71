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
    public var components: [UInt64] { [first] + rest }

    /// The first component: all of a version such as `001` or `20241227143000`.
    let first: UInt64
    /// The components after the first; empty (no allocation) for one-component versions, the
    /// usual kind, so that a version is its text and nothing else on the heap.
    private let rest: [UInt64]

    /// How many components there are (`1.1.0`: 3).
    var componentCount: Int { 1 + rest.count }

    private func component(_ index: Int) -> UInt64 { index == 0 ? first : rest[index - 1] }

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
        self.text = text
        if components.isEmpty {
            self.first = current
            self.rest = []
        } else {
            self.first = components[0]
            components.append(current)
            self.rest = Array(components.dropFirst())
        }
    }

    /// The number of components that count: trailing zeros aside, at least one. Equality and
    /// ordering use only these.
    private var significantCount: Int {
        var end = componentCount
        while end > 1 && component(end - 1) == 0 { end -= 1 }
        return end
    }

    /// Equal when the components are, trailing zeros aside (`1.0` == `1`, `001` == `1`).
    public static func == (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        if lhs.rest.isEmpty && rhs.rest.isEmpty { return lhs.first == rhs.first }
        let count = lhs.significantCount
        guard count == rhs.significantCount else { return false }
        return (0..<count).allSatisfy { lhs.component($0) == rhs.component($0) }
    }

    /// Hashes the components, trailing zeros aside, consistently with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) {
        for index in 0..<significantCount { hasher.combine(component(index)) }
    }

    /// Compares component by component, numerically (`1.9` < `1.10`).
    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        if lhs.rest.isEmpty && rhs.rest.isEmpty { return lhs.first < rhs.first }
        let a = lhs.significantCount, b = rhs.significantCount
        for index in 0..<min(a, b) where lhs.component(index) != rhs.component(index) {
            return lhs.component(index) < rhs.component(index)
        }
        return a < b
    }

    /// The version as written.
    public var description: String { text }
}
