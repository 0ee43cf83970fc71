import PostgresNIO

/// One connection leased from an application's `PostgresClient` and held until ``release()``:
/// `PostgresClient` lends connections only for the duration of a closure, so a task of its own
/// runs `withConnection` and waits inside the closure until the lease is given back. The
/// connection is used only while that closure runs, as the pool requires.
struct PostgresClientLease: Sendable {
    /// The leased connection.
    let connection: PostgresConnection
    private let released: AsyncStream<Void>.Continuation
    private let holder: Task<Void, Never>

    /// Waits for a connection of the pool (the client must be running: `client.run()`).
    /// - Throws: What the pool throws (for example when the client was shut down).
    static func lease(from client: PostgresClient) async throws -> PostgresClientLease {
        let (releaseSignal, released) = AsyncStream<Void>.makeStream()
        let (leased, deliver) = AsyncThrowingStream<PostgresConnection, any Error>.makeStream()
        let holder = Task {
            do {
                try await client.withConnection { connection in
                    deliver.yield(connection)
                    for await _ in releaseSignal {}
                }
                deliver.finish()
            } catch {
                deliver.finish(throwing: error)
            }
        }
        do {
            var iterator = leased.makeAsyncIterator()
            guard let connection = try await iterator.next() else { throw CancellationError() }
            return PostgresClientLease(connection: connection, released: released, holder: holder)
        } catch {
            released.finish()
            holder.cancel()
            throw error
        }
    }

    /// Gives the connection back to the pool and waits until it is back.
    func release() async {
        released.finish()
        await holder.value
    }
}
