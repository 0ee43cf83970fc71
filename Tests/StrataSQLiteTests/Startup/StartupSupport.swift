import Foundation
import Logging
import Strata
import StrataSQLite

/// Writes migration files under a directory of a ``TempDir``.
func writeMigrations(_ files: [String: String], in dir: TempDir, under folder: String = "migrations") throws -> String {
    let root = dir.path(folder)
    for (name, text) in files {
        let url = URL(fileURLWithPath: root).appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return root
}

/// Every event of a run, in order, safe to append to from the running task.
final class EventLog: Sendable {
    private let lock = NSLock()
    nonisolated(unsafe) private var events: [RunEvent] = []

    /// The callback to give the migrator.
    var record: @Sendable (RunEvent) -> Void { { event in self.lock.withLock { self.events.append(event) } } }

    /// A one-word name per event: `planned`, `started 001`, `finished 001`, `backup`, …
    var names: [String] {
        lock.withLock {
            events.map { event in
                switch event {
                case .planned(let plan): "planned \(plan.steps.count)"
                case .stepStarted(let step, _, _): "started \(step.version)"
                case .stepFinished(let step, _, _, _): "finished \(step.version)"
                case .stepFailed(let step, _): "failed \(step.version)"
                case .warning: "warning"
                case .waitingForLock: "waiting"
                case .backedUp: "backup"
                case .cancelled(let remaining): "cancelled \(remaining)"
                }
            }
        }
    }
}

/// A swift-log handler that keeps every record, for checking what the library logs.
struct CapturingLogHandler: LogHandler {
    /// One log record.
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    /// The records, shared by every copy of the handler.
    final class Store: Sendable {
        private let lock = NSLock()
        nonisolated(unsafe) private var records: [Record] = []
        func append(_ record: Record) { lock.withLock { records.append(record) } }
        var all: [Record] { lock.withLock { records } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        let merged = self.metadata.merging(metadata ?? [:]) { $1 }
        store.append(Record(level: level, message: message.description,
                            metadata: merged.mapValues { "\($0)" }))
    }
}
