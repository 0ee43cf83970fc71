/// The state of a version in the history table's `status` column.
public enum HistoryStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Applied and committed together with its history row.
    case applied
    /// Its last attempt failed; see `error_message`.
    case failed
    /// Applied once, then rolled back by its down script.
    case rolledBack = "rolled_back"
    /// Marked applied by `strata baseline` (or `adopt`) without running.
    case baselined
}
