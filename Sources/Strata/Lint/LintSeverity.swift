/// How serious a lint finding is.
public enum LintSeverity: String, Sendable, Hashable, Comparable, CaseIterable {
    /// Worth a look; the migration may be fine (data loss that is intended, a lock that is short).
    case warning
    /// The migration will fail, or does something the engine cannot do safely; `strata lint` exits 1.
    case error

    public static func < (a: LintSeverity, b: LintSeverity) -> Bool {
        a == .warning && b == .error
    }
}
