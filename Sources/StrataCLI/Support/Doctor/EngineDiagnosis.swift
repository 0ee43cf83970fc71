import Strata

/// The engine-specific part of `strata doctor`: the engine's version and features, the
/// database's storage and permissions, the runner lock, backups. One conforming type per
/// engine; ``EngineDiagnoses/diagnosis(for:)`` is the explicit table from engine to diagnosis.
///
/// To add an engine: write a type that returns its sections (failing checks carry a hint), and
/// add its line to ``EngineDiagnoses/diagnosis(for:)``. Engine-independent checks (config,
/// migrations, history consistency) are ``ProjectDiagnosis``'s.
protocol EngineDiagnosis: Sendable {
    /// The sections this engine adds, in order. Never throws: a check that cannot run is a
    /// failed check saying why.
    func sections(_ context: CommandContext, migrations: [Migration]) async -> [DoctorSection]
}

/// The table from database engine to its ``EngineDiagnosis``.
enum EngineDiagnoses {
    static func diagnosis(for engine: DatabaseEngine) -> any EngineDiagnosis {
        switch engine {
        case .sqlite: SQLiteDiagnosis()
        case .postgres: PostgresDiagnosis()
        }
    }
}

/// PostgreSQL's part of `strata doctor`: reported as not available until the PostgreSQL driver
/// provides its checks (server version, extensions, privileges, advisory lock holders).
struct PostgresDiagnosis: EngineDiagnosis {
    func sections(_ context: CommandContext, migrations: [Migration]) async -> [DoctorSection] {
        [DoctorSection(title: "Engine", checks: [
            DoctorCheck(name: "postgresql", status: .warning,
                        summary: "PostgreSQL checks are not available in this build yet (\(context.database.redacted))",
                        hint: "check the server with `psql -c 'select version()'`; the history checks below still run"),
        ])]
    }
}
