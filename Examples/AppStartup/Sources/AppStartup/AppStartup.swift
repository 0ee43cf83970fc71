import Foundation
import Strata
import StrataSQLite

/// `AppStartup <database path>`: what an application does when it starts. It brings the database
/// up to date with the SQL migrations bundled in `Migrations/` and one migration written in Swift,
/// prints what it did, and exits. Run it twice: the second run has nothing to do.
@main
struct AppStartup {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        guard arguments.count == 1, let path = arguments.first else {
            FileHandle.standardError.write(Data("usage: AppStartup <database path>\n".utf8))
            exit(64)
        }
        do {
            try await migrate(path)
        } catch let error as StrataError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(error.code.exitCode)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(1)
        }
    }

    static func migrate(_ path: String) async throws {
        let driver = try SQLiteDriver.open(path: path, createIfMissing: true)
        do {
            try await migrate(driver, path: path)
        } catch {
            await driver.close()
            throw error
        }
        await driver.close()
    }

    static func migrate(_ driver: SQLiteDriver, path: String) async throws {
        var migrator = Migrator(driver: driver)
        // SQL files shipped with the app (Package.swift: resources: [.copy("Migrations")]).
        try migrator.add(BundledMigrations.folder("Migrations", in: .module))
        // A migration written in Swift, idempotent like seed 001's start-up migrations.
        try migrator.registerMigration("003", "normalize_emails", revision: "1") { db in
            if try await !db.columnExists("email_lower", in: "users") {
                try await db.execute("ALTER TABLE users ADD COLUMN email_lower TEXT")
            }
            for row in try await db.rows("SELECT id, email FROM users WHERE email IS NOT NULL") {
                try await db.execute("UPDATE users SET email_lower = ? WHERE id = ?",
                                     arguments: [.text(row[1].text?.lowercased() ?? ""), row[0]])
            }
        }

        let report = try await migrator.migrate { event in
            switch event {
            case .waitingForLock(let holder):
                print("waiting for another runner: \(holder)")
            case .backedUp(let backup):
                print("backed up to \(backup)")
            case let .stepFinished(step, index, total, ms):
                print("[\(index)/\(total)] applied \(step.version) \(step.description) (\(ms) ms)")
            default:
                break
            }
        }
        if report.applied.isEmpty {
            print("\(path) is up to date at version \(report.currentVersion ?? "none"); nothing to do.")
        } else {
            print("applied \(report.applied.count) migration\(report.applied.count == 1 ? "" : "s"); \(path) is now at version \(report.currentVersion ?? "none").")
        }
    }
}
