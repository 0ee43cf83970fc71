/// Facts about this build of Strata.
public enum StrataInfo {
    /// The Strata version, stored in every history row it writes.
    public static let version = "0.1.0"
    /// The default name of the history table.
    public static let defaultHistoryTable = "strata_schema_history"
}
