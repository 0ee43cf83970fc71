/// Reads one-file migrations with up and down sections: dbmate (`-- migrate:up`, `-- migrate:down`)
/// and goose (`-- +goose Up`, `-- +goose Down`, `StatementBegin`/`StatementEnd`, `NO TRANSACTION`).
///
/// (Placeholder: being completed by the parsing work.)
public enum SectionParser {
    /// Which tool's annotations a file uses.
    public enum Flavor: String, Sendable, Hashable {
        case dbmate
        case goose
    }

    /// A parsed one-file migration.
    public struct Result: Sendable, Hashable {
        /// The annotation style found.
        public var flavor: Flavor
        /// The up section (``MigrationScript/firstLine`` is its first line in the file).
        public var up: MigrationScript
        /// The down section; `nil` when the file has none.
        public var down: MigrationScript?
        /// `false` when the file asks for no transaction (goose `-- +goose NO TRANSACTION`,
        /// dbmate `-- migrate:up transaction:false`).
        public var upTransactional: Bool
        /// The same for the down section.
        public var downTransactional: Bool
    }

    /// The flavor of annotations in `text`, or `nil` when it has none.
    public static func flavor(of text: String) -> Flavor? {
        if text.contains("-- migrate:up") { return .dbmate }
        if text.lowercased().contains("+goose up") { return .goose }
        return nil
    }

    /// Parses a file with sections; throws with a location when the annotations are malformed.
    public static func parse(_ text: String, path: String) throws(StrataError) -> Result {
        throw StrataError(.invalidFile, "section parsing is not implemented yet", location: SourceLocation(file: path, line: 1, column: 1))
    }
}
