/// A change to the history tables, made by a driver inside the same transaction as the migration
/// it describes (or in a transaction of its own for failures, baselines and repairs).
public enum HistoryWrite: Sendable, Hashable {
    /// Insert the row, or replace the row with the same version.
    case upsert(HistoryRecord)
    /// Remove the row of this version (used by `repair` for rows of migrations that never ran).
    case delete(version: String)
    /// Append to the audit log.
    case append(LogEntry)
}
