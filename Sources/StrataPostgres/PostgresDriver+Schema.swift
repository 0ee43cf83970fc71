import Foundation
import Logging
import PostgresNIO
import Strata

extension PostgresDriver {
    /// The schema of ``schema`` (where the history tables live) from `pg_catalog`, in one
    /// read-only, repeatable-read transaction: tables (columns with `format_type`, defaults,
    /// identity and generated columns, constraints with `pg_get_constraintdef`), indexes,
    /// views and materialized views, triggers, sequences, enum/domain/composite types,
    /// functions and procedures, extensions. Strata's tables, their trigger function and
    /// extensions' objects are left out. Does not depend on `pg_dump`; reads only.
    public func schemaSnapshot() async throws -> SchemaSnapshot {
        let (connection, sql) = try await session.open()
        var snapshot = SchemaSnapshot(engine: .postgres)
        do {
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger).collect()
        } catch {
            throw PostgresErrors.databaseError(error, context: "cannot start a read-only transaction")
        }
        do {
            snapshot = try await PostgresSchemaCatalog(schema: sql.schema, historyTable: historyTable, logTable: logTable,
                                                       connection: connection, logger: logger).snapshot()
        } catch {
            await rollback(connection)
            throw error
        }
        await rollback(connection)
        return snapshot
    }

    /// A scratch database on the same server, named `strata_scratch_<random>`, dropped by
    /// ``ScratchDatabase/discard()``.
    ///
    /// With `copyingContents`, it is `CREATE DATABASE … TEMPLATE <this database>` (schema, data
    /// and history) when no other session is connected to this database; otherwise, and without
    /// `copyingContents`, it is empty (from `template0`, with this database's encoding and
    /// locale) and ``ScratchDatabase/copiedContents`` is `false`: the caller replays the applied
    /// migrations on it (``SchemaReplay``). This database is never written. The scratch driver
    /// uses the same user, search path, table names and timeouts.
    /// - Throws: ``StrataError`` `.database` when the database cannot be created (the user needs
    ///   the `CREATEDB` privilege).
    public func makeScratchDatabase(copyingContents: Bool) async throws -> ScratchDatabase {
        guard let base = settings else {
            throw StrataError(.configuration, "a scratch database needs the connection settings of \(displayName)",
                              hint: "build the PostgresDriver with `settings:` as well as the client")
        }
        let name = "strata_scratch_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let quotedName = SQLQuoting.identifier(name)
        var copied = false
        do {
            if copyingContents, try await scalarText(Self.otherSessions) == "0" {
                do {
                    try await executeRaw("CREATE DATABASE \(quotedName) TEMPLATE \(SQLQuoting.identifier(base.database))")
                    copied = true
                } catch let error as StrataError where error.databaseCode == "55006" {
                    // A session connected meanwhile: build an empty one instead.
                }
            }
            if !copied {
                let locale = try await rows("SELECT pg_encoding_to_char(encoding), datcollate, datctype FROM pg_database WHERE datname = current_database()")
                var create = "CREATE DATABASE \(quotedName) TEMPLATE template0"
                if let row = locale.first, row.count == 3, let encoding = row[0], let collate = row[1], let ctype = row[2] {
                    create += " ENCODING \(SQLQuoting.literal(encoding)) LC_COLLATE \(SQLQuoting.literal(collate)) LC_CTYPE \(SQLQuoting.literal(ctype))"
                }
                try await executeRaw(create)
            }
        } catch let error as StrataError {
            var failure = error
            failure.message = "cannot create a scratch database on the server of \(displayName): \(error.message)"
            failure.hint = error.hint ?? "`rehearse` and `diff` create a scratch database on the same server: the user needs the CREATEDB privilege"
            throw failure
        }
        var scratchSettings = base
        scratchSettings.database = name
        let settings = base, logger = logger
        let driver: PostgresDriver
        do {
            driver = try await PostgresDriver.connect(scratchSettings, historyTable: historyTable, logTable: logTable,
                                                      lockTimeout: lockTimeout, statementTimeout: statementTimeout, logger: logger)
        } catch {
            await Self.dropScratchDatabase(name, settings: settings, logger: logger)
            throw error
        }
        return ScratchDatabase(driver: driver, location: "database \(name)", copiedContents: copied) {
            await driver.close()
            await Self.dropScratchDatabase(name, settings: settings, logger: logger)
        }
    }

    /// How many other client sessions are connected to this database (a template copy needs none).
    private static let otherSessions = """
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        """

    /// Drops a scratch database from a new connection to the original database (one cannot drop
    /// the database one is connected to); errors are ignored, the name says what it is.
    private static func dropScratchDatabase(_ name: String, settings: PostgresConnectionSettings, logger: Logger) async {
        guard let maintenance = try? PostgresDriver(settings: settings, logger: logger) else { return }
        let quoted = SQLQuoting.identifier(name)
        do {
            try await maintenance.executeRaw("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
        } catch {
            // Before PostgreSQL 13 there is no FORCE.
            try? await maintenance.executeRaw("DROP DATABASE IF EXISTS \(quoted)")
        }
        await maintenance.close()
    }
}
