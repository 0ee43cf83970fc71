import Strata
import StrataPostgres

/// The checks of `strata verify` on PostgreSQL. `integrity_check` and `foreign_key_check` are
/// SQLite's: PostgreSQL checks pages itself and enforces foreign keys on every statement.
/// Instead it looks for invalid indexes (left by a failed `CREATE INDEX CONCURRENTLY`), with
/// `--full` for constraints still `NOT VALID`, then runs every applied migration's verify script
/// in a read-only transaction.
enum PostgresVerification {
    static func checks(_ context: CommandContext, full: Bool) async throws -> [VerifyCheck] {
        guard let driver = try context.openDriver(mutating: false) as? PostgresDriver else { return [] }
        do {
            let checks = try await run(driver, context, full: full)
            await driver.close()
            return checks
        } catch {
            await driver.close()
            throw error
        }
    }

    private static func run(_ driver: PostgresDriver, _ context: CommandContext, full: Bool) async throws -> [VerifyCheck] {
        context.console.note("note: integrity_check and foreign_key_check are SQLite checks; PostgreSQL enforces foreign keys itself")
        let invalid = try await driver.invalidIndexes()
        var checks = [VerifyCheck(
            name: "invalid_indexes", ok: invalid.isEmpty,
            summary: invalid.isEmpty ? "none" : "\(invalid.count) invalid index\(invalid.count == 1 ? "" : "es")",
            details: StrataCommand.Verify.capped(invalid),
            hint: invalid.isEmpty ? nil
                : "a CREATE INDEX CONCURRENTLY failed part-way: drop the index and create it again (or REINDEX INDEX CONCURRENTLY)")]
        if full {
            let unvalidated = try await driver.unvalidatedConstraints()
            checks.append(VerifyCheck(
                name: "unvalidated_constraints", ok: unvalidated.isEmpty,
                summary: unvalidated.isEmpty ? "none" : "\(unvalidated.count) constraint\(unvalidated.count == 1 ? "" : "s") still NOT VALID",
                details: StrataCommand.Verify.capped(unvalidated),
                hint: unvalidated.isEmpty ? nil
                    : "run ALTER TABLE … VALIDATE CONSTRAINT … (in a migration) once the existing rows satisfy it"))
        }
        return checks + (try await StrataCommand.Verify.scriptChecks(records: try await driver.history(), context: context) { script in
            let result = try await driver.verifyRows(script, limit: StrataCommand.Verify.shownDetails)
            return (result.rows.map { "\($0.location): \($0.description)" }, result.truncated)
        })
    }
}
