/// Something wrong between the migrations on disk and the history in the database.
public struct Problem: Sendable, Hashable {
    /// The kind of problem; its raw value is the `kind` key of `status --format json`.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// An applied migration's file has a different checksum now.
        case changed
        /// An applied migration's file is gone.
        case missing
        /// A pending migration is older than the newest applied one.
        case outOfOrder = "out_of_order"
        /// A migration's last attempt failed.
        case failed
        /// A version number is skipped (a warning only).
        case gap
    }

    /// How serious a problem is.
    public enum Severity: String, Sendable, Hashable {
        /// Stops mutating commands.
        case error
        /// Reported, never stops anything.
        case warning
    }

    /// The kind.
    public var kind: Kind
    /// The version concerned.
    public var version: String
    /// A one-line explanation.
    public var message: String
    /// Extra lines (expected and actual checksums, for example).
    public var details: [String]
    /// Error or warning.
    public var severity: Severity
    /// The file concerned, when there is one.
    public var file: String?

    /// Creates a problem.
    public init(kind: Kind, version: String, message: String, details: [String] = [],
                severity: Severity = .error, file: String? = nil) {
        self.kind = kind
        self.version = version
        self.message = message
        self.details = details
        self.severity = severity
        self.file = file
    }
}
