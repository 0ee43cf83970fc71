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
        switch await run(queries, on: connection, logger: logger, keepingRowsOf: nil) {
        case .success: nil
        case .failure(let failure): failure
        }
    }

    /// Runs `queries` in order and returns the rows of query `kept` (none when `nil`).
    static func run(_ queries: [PostgresQuery], on connection: PostgresConnection, logger: Logger,
                    keepingRowsOf kept: Int?) async -> Result<[PostgresRow], Failure> {
        guard !queries.isEmpty else { return .success([]) }
        let loop = connection.eventLoop
        let done = loop.makePromise(of: Void.self)
        let rows = KeptRows()
        loop.execute {
            send(0, of: queries, on: connection, logger: logger, keeping: kept.map { ($0, rows) }, done: done)
        }
        do {
            try await done.futureResult.get()
            return .success(rows.rows)
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(index: 0, error: error))
        }
    }

    /// The rows kept from one query of a chain: written on the event loop only, read once the
    /// chain's promise has completed (which orders the reads after the writes).
    private final class KeptRows: @unchecked Sendable {
        var rows: [PostgresRow] = []
    }

    /// Sends query `index` (on the event loop) and, when it succeeds, the next.
    private static func send(_ index: Int, of queries: [PostgresQuery], on connection: PostgresConnection,
                             logger: Logger, keeping: (index: Int, rows: KeptRows)?, done: EventLoopPromise<Void>) {
        guard index < queries.count else {
            done.succeed(())
            return
        }
        let sink = keeping?.index == index ? keeping?.rows : nil
        connection.query(queries[index], logger: logger) { row in sink?.rows.append(row) }.whenComplete { result in
            switch result {
            case .success:
                send(index + 1, of: queries, on: connection, logger: logger, keeping: keeping, done: done)
            case .failure(let error):
                done.fail(Failure(index: index, error: error))
            }
        }
    }
}
