/// One finding of `strata doctor`: what was checked, how it stands, and what to do about it.
struct DoctorCheck: Sendable {
    /// How a check stands.
    enum Status: String, Sendable, Comparable {
        /// Fine.
        case ok
        /// Worth knowing; nothing to fix.
        case info
        /// Works, but deserves attention.
        case warning
        /// Something is wrong; `doctor` exits 1.
        case failed

        private var rank: Int {
            switch self {
            case .ok: 0
            case .info: 1
            case .warning: 2
            case .failed: 3
            }
        }

        static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// A short, stable name (`sqlite`, `DROP COLUMN`, `file`, `lock`…).
    var name: String
    var status: Status
    /// One line: what was found.
    var summary: String
    /// Further lines shown under it.
    var details: [String] = []
    /// What to do, when something is wrong.
    var hint: String?
}

/// A group of checks under a title (`Project`, `Engine`, `Database`, `Lock`, `History`, `Backups`).
struct DoctorSection: Sendable {
    var title: String
    var checks: [DoctorCheck]
}
