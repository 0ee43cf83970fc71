/// Default implementations of the schema capabilities, for drivers that do not have them yet:
/// each throws a `.configuration` error naming the engine.
extension DatabaseDriver {
    /// Not supported by this driver: throws ``StrataError/Code/configuration``.
    public func schemaSnapshot() async throws -> SchemaSnapshot {
        throw unsupportedSchemaFeature("reading the schema")
    }

    /// Not supported by this driver: throws ``StrataError/Code/configuration``.
    public func makeScratchDatabase(copyingContents: Bool) async throws -> ScratchDatabase {
        throw unsupportedSchemaFeature("scratch databases")
    }

    private func unsupportedSchemaFeature(_ what: String) -> StrataError {
        StrataError(.configuration, "the \(engine.rawValue) driver does not support \(what) yet",
                    hint: "`strata dump`, `diff`, `load` and `rehearse` work with SQLite databases")
    }
}
