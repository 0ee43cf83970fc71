import Foundation
import GRDB
import Strata
import StrataSQLite

/// A temporary directory removed when the value is released.
final class TempDir: Sendable {
    let url: URL

    init() {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-sqlite-tests-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    /// A path inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// A fresh database path.
    func newDatabasePath() -> String { path("db-\(UUID().uuidString).sqlite") }
}

/// A unit with one upsert and one log append.
func makeUnit(_ sql: String, version: String = "001", path: String? = nil, transactional: Bool = true,
              foreignKeys: ExecutionOptions.ForeignKeys = .checkBeforeCommit,
              verify: MigrationScript? = nil) -> ExecutionUnit {
    ExecutionUnit(script: MigrationScript(path: path ?? "migrations/\(version)_test.sql", sql: sql),
                  options: ExecutionOptions(transactional: transactional, foreignKeys: foreignKeys),
                  verify: verify) { ms in
        [.upsert(HistoryRecord(version: version, description: "test \(version)", kind: .sql,
                               script: path ?? "migrations/\(version)_test.sql", checksum: nil, downSQL: nil,
                               appliedBy: "tester", hostname: "localhost", appliedAt: "2026-11-21T10:40:00Z",
                               executionTimeMs: ms, status: .applied)),
         .append(LogEntry(version: version, event: .applied, description: "test \(version)", checksum: nil,
                          actor: "tester", hostname: "localhost", at: "2026-11-21T10:40:00Z", executionTimeMs: ms))]
    }
}

/// Runs `body` and returns the ``StrataError`` it throws; `nil` when it does not throw one.
func strataError(_ body: () async throws -> Void) async -> StrataError? {
    do {
        try await body()
        return nil
    } catch let error as StrataError {
        return error
    } catch {
        return nil
    }
}

/// A second, independent connection for inspecting the file.
func inspect<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    var config = Configuration()
    config.readonly = true
    let queue = try DatabaseQueue(path: path, configuration: config)
    defer { try? queue.close() }
    return try queue.read(body)
}
