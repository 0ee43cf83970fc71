/// Facts about this build of Strata.
public enum StrataInfo {
    /// The Strata version, stored in every history row it writes.
    public static let version = "0.1.0"
    /// The default name of the history table.
    public static let defaultHistoryTable = "strata_schema_history"
    /// The default name of the append-only audit log.
    public static let defaultLogTable = "strata_schema_log"

    /// The audit log's name for a history table: `strata_schema_log` for the default table,
    /// else `<history table>_log`.
    public static func logTable(forHistoryTable table: String) -> String {
        table == defaultHistoryTable ? defaultLogTable : table + "_log"
    }
}
