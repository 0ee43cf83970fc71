import Foundation
import Strata
import StrataPostgres
import Testing

/// The runner lock: one holder per schema and history table; a waiter names the holder and gives
/// up with `.lockTimeout`; the lock is released when the body ends, also by an error.
@Suite("PostgreSQL advisory lock")
struct PostgresAdvisoryLockTests {
    @Test func secondRunnerWaitsThenTimesOutNamingTheHolder() async throws {
        let fixture = try PostgresFixture()
        let settings = try fixture.settings(try fixture.database())
        let waited = Flag()
        try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "strata_schema_history", timeout: 1) {
            let error = await strataError {
                try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "strata_schema_history", timeout: 0.3,
                                                        onWait: { holder in waited.set(holder) }) {}
            }
            #expect(error?.code == .lockTimeout)
            #expect(error?.message.contains("application 'strata runner pid \(getpid())") == true, "\(String(describing: error))")
            #expect(waited.value?.contains("PostgreSQL backend pid") == true, "\(String(describing: waited.value))")
            // Another history table (another project in the same database) is not blocked.
            try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "other_history", timeout: 0) {}
        }
        // Released: the next runner gets it at once.
        try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "strata_schema_history", timeout: 0) {}
    }

    @Test func releasedWhenTheBodyThrows() async throws {
        let fixture = try PostgresFixture()
        let settings = try fixture.settings(try fixture.database())
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "h", timeout: 0) { throw Boom() }
        }
        try await PostgresAdvisoryLock.withLock(settings: settings, historyTable: "h", timeout: 0) {}
    }

    @Test func keysDependOnSchemaAndTable() {
        let a = PostgresAdvisoryLock.key(schema: "public", historyTable: "strata_schema_history")
        #expect(a == PostgresAdvisoryLock.key(schema: "public", historyTable: "strata_schema_history"))
        #expect(a != PostgresAdvisoryLock.key(schema: "billing", historyTable: "strata_schema_history"))
        #expect(a != PostgresAdvisoryLock.key(schema: "public", historyTable: "other"))
    }
}

/// A value set from a @Sendable callback.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    var value: String? { lock.withLock { stored } }
    func set(_ text: String) { lock.withLock { stored = text } }
}
