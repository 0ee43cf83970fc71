import Logging
import PostgresNIO

/// Runs queries one after another on a connection, each sent only once the one before it has
/// succeeded (its rows drained and dropped), and stops at the first failure: the same order and
/// the same stop as awaiting each query in turn.
///
/// The difference is where the work happens. Awaiting `PostgresConnection.query` for every
/// statement hands the work from the caller's task to the connection's event-loop thread and the
/// answer back again — two or more thread wake-ups per statement, which on a migration of eight
/// statements cost more CPU than the statements themselves. A chain is started once on the event
/// loop; every next query is sent from the callback of the one before, on that thread, and the
/// caller's task wakes once, when the chain ends.
///
/// ```swift
/// if let failure = await PostgresQueryChain.run(["BEGIN", "CREATE TABLE t (id int)"],
///                                                on: connection, logger: logger) {
///     print("query \(failure.index) failed: \(failure.error)")
/// }
/// ```
enum PostgresQueryChain {
    /// The query that failed (its index in the chain) and PostgresNIO's error; the queries after
    /// it were not sent.
    struct Failure: Error {
        let index: Int
        let error: any Error
    }

    /// Runs `queries` in order; `nil` when all of them succeeded.
    static func run(_ queries: [PostgresQuery], on connection: PostgresConnection,
                    logger: Logger) async -> Failure? {
        guard !queries.isEmpty else { return nil }
        let loop = connection.eventLoop
        let done = loop.makePromise(of: Void.self)
        loop.execute {
            send(0, of: queries, on: connection, logger: logger, done: done)
        }
        do {
            try await done.futureResult.get()
            return nil
        } catch let failure as Failure {
            return failure
        } catch {
            return Failure(index: 0, error: error)
        }
    }

    /// Sends query `index` (on the event loop) and, when it succeeds, the next.
    private static func send(_ index: Int, of queries: [PostgresQuery], on connection: PostgresConnection,
                             logger: Logger, done: EventLoopPromise<Void>) {
        guard index < queries.count else {
            done.succeed(())
            return
        }
        connection.query(queries[index], logger: logger) { _ in }.whenComplete { result in
            switch result {
            case .success:
                send(index + 1, of: queries, on: connection, logger: logger, done: done)
            case .failure(let error):
                done.fail(Failure(index: index, error: error))
            }
        }
    }
}
