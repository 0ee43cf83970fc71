import Dispatch
import Foundation
import Strata

/// SIGINT and SIGTERM while a command changes the database.
///
/// The first signal asks the run to stop cleanly (a ``StopRequest``): the migration in progress
/// finishes — it commits, or fails and is rolled back — and the next one does not start; a runner
/// still waiting for the lock stops waiting. The command then exits 130 (SIGINT) or 143 (SIGTERM)
/// with an `interrupted` or `terminated` error; at a confirmation prompt (nothing changed yet) the
/// first signal ends the command (``ConfirmationPrompt``). A second signal ends the process at once with the
/// same exit code; that is as safe as a crash: an unfinished transactional migration is rolled
/// back by the database, and the lock is released by the operating system.
enum StopSignal {
    /// Runs `body` with SIGINT and SIGTERM handled as above; restores the default handling after.
    static func handling<T: Sendable>(console: Console, _ body: () async throws -> T) async throws -> T {
        let request = StopRequest()
        let signals: [(number: Int32, name: String, code: StrataError.Code)] = [
            (SIGINT, "SIGINT", .interrupted), (SIGTERM, "SIGTERM", .terminated),
        ]
        let sources = signals.map { signal in
            // Ignored by the process so that only the dispatch source sees it.
            Foundation.signal(signal.number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal.number, queue: .global())
            source.setEventHandler {
                if request.isRequested { _exit(signal.code.exitCode) }
                request.request(signal.code, cause: signal.name)
                // At a confirmation prompt nothing has started: the prompt stops at once (ConfirmationPrompt).
                guard !ConfirmationPrompt.isOpen.load(ordering: .sequentiallyConsistent) else { return }
                console.warning("\(signal.name) received: stopping after the current migration "
                    + "(send it again to stop at once)")
            }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            for signal in signals { Foundation.signal(signal.number, SIG_DFL) }
        }
        return try await StopRequest.$current.withValue(request) { try await body() }
    }
}
