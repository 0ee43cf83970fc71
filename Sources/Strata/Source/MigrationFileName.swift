/// What one name in a migrations directory is, judged from the name alone (SPEC §2).
///
/// The loader classifies every entry first and only then reads files, so naming mistakes are all
/// reported together, before anything is parsed.
enum MigrationFileName: Hashable, Sendable {
    /// The part of a file-name family a file plays.
    enum Part: Hashable, Sendable {
        /// The up script.
        case up
        /// The down script.
        case down
        /// A verify script (`001_x.verify.sql`).
        case verify
    }

    /// How a migration directory (dir layout) is named.
    enum DirectoryStyle: Hashable, Sendable {
        /// `V001__add_user_settings/` (seed 002).
        case prefixed
        /// diesel: `2018-01-14-171611_create_tables/`, `20240101120000_name/`.
        case diesel
    }

    /// `001_x.sql` (flat, or sections once the content shows annotations).
    case plainUp(version: String, name: String)
    /// `1_x.up.sql`, `1_x.down.sql`, `001_x.verify.sql` (flat/updown family).
    case suffixed(version: String, name: String, part: Part)
    /// `20241227_143000_x.sql` or `…_rollback.sql` (seed 004).
    case timestamped(version: String, name: String, part: Part)
    /// `V1_2__x.sql` or `U1_2__x.sql` (Flyway).
    case flyway(version: String, name: String, part: Part)
    /// `R__x.sql` (Flyway repeatable).
    case repeatable(name: String)
    /// `V001__x/` or `2018-01-14-171611_x/` (dir layout).
    case directory(version: String, name: String, style: DirectoryStyle)
    /// Looks like a migration but breaks the naming rules; the reason says how.
    case violation(reason: String)
    /// Not a migration: README.md, .gitkeep, checksum files, schema.sql, …
    case ignored

    /// The version text, for names that have one.
    var versionText: String? {
        switch self {
        case .plainUp(let v, _), .suffixed(let v, _, _), .timestamped(let v, _, _), .flyway(let v, _, _),
             .directory(let v, _, _):
            return v
        case .repeatable, .violation, .ignored:
            return nil
        }
    }

    // MARK: Files

    /// Classifies the name of a regular file.
    static func classifyFile(_ fileName: String) -> MigrationFileName {
        if fileName.hasPrefix(".") { return .ignored }
        guard fileName.hasSuffix(".sql") else {
            let lower = fileName.lowercased()
            if lower.hasSuffix(".sql"), looksLikeMigration(String(fileName.dropLast(4))) {
                return .violation(reason: "the extension must be lowercase .sql")
            }
            return .ignored
        }
        let base = String(fileName.dropLast(4))
        guard let first = base.unicodeScalars.first else { return .ignored }

        // Flyway: V<version>__<name>, U<version>__<name>, R__<name>.
        if first == "V" || first == "U" || first == "R" {
            let rest = base.dropFirst()
            if let next = rest.unicodeScalars.first, next == "_" || isDigit(next) {
                return classifyFlyway(prefix: first, rest: String(rest))
            }
        }
        if first == "v" || first == "u" || first == "r" {
            let rest = base.dropFirst()
            if let next = rest.unicodeScalars.first, isDigit(next) || rest.hasPrefix("__") {
                return .violation(reason: "the prefix must be an uppercase \(String(first).uppercased())")
            }
        }
        guard isDigit(first) else { return .ignored }

        // The flat/updown family with a dotted part: <v>_<name>.up|down|verify.sql
        for (suffix, part) in dottedParts where base.hasSuffix(suffix) {
            let stem = String(base.dropLast(suffix.count))
            switch splitVersionAndName(stem) {
            case .ok(let version, let name): return .suffixed(version: version, name: name, part: part)
            case .bad(let reason): return .violation(reason: reason)
            }
        }

        // Seed 004: YYYYMMDD_HHMMSS_<name>.sql and …_rollback.sql.
        if let (version, rest) = timestampPrefix(base) {
            if rest.isEmpty { return .violation(reason: "the name after the timestamp is missing") }
            if rest == "rollback" { return .violation(reason: "the name after the timestamp is missing") }
            if rest.hasSuffix("_rollback") {
                let name = String(rest.dropLast("_rollback".count))
                if let reason = nameProblem(name, allowDots: false) { return .violation(reason: reason) }
                return .timestamped(version: version, name: name, part: .down)
            }
            if let reason = nameProblem(rest, allowDots: false) { return .violation(reason: reason) }
            return .timestamped(version: version, name: rest, part: .up)
        }

        switch splitVersionAndName(base) {
        case .ok(let version, let name): return .plainUp(version: version, name: name)
        case .bad(let reason): return .violation(reason: reason)
        }
    }

    /// The dotted parts of the flat/updown family, as they end a file's base name.
    private static let dottedParts: [(suffix: String, part: Part)] = [(".up", .up), (".down", .down), (".verify", .verify)]

    private static func classifyFlyway(prefix: Unicode.Scalar, rest: String) -> MigrationFileName {
        if prefix == "R" {
            guard rest.hasPrefix("__") else {
                return .violation(reason: "a repeatable migration is named R__<name>.sql")
            }
            let name = String(rest.dropFirst(2))
            if let reason = nameProblem(name, allowDots: false) { return .violation(reason: reason) }
            return .repeatable(name: name)
        }
        let kind = prefix == "V" ? "V" : "U"
        guard let separator = rest.range(of: "__") else {
            return .violation(reason: "the version and the name must be separated by a double underscore (\(kind)<version>__<name>.sql)")
        }
        let version = String(rest[rest.startIndex..<separator.lowerBound])
        let name = String(rest[separator.upperBound...])
        if version.isEmpty || version.contains("-") || MigrationVersion(version) == nil {
            return .violation(reason: "'\(version)' is not a version (digits separated by '.' or '_')")
        }
        if let reason = nameProblem(name, allowDots: false) { return .violation(reason: reason) }
        return .flyway(version: version, name: name, part: kind == "V" ? .up : .down)
    }

    // MARK: Directories

    /// Classifies the name of a subdirectory.
    static func classifyDirectory(_ dirName: String) -> MigrationFileName {
        if dirName.hasPrefix(".") { return .ignored }
        guard let first = dirName.unicodeScalars.first else { return .ignored }
        if first == "V" {
            let rest = dirName.dropFirst()
            guard let next = rest.unicodeScalars.first, isDigit(next) else { return .ignored }
            guard let separator = rest.range(of: "__") else {
                return .violation(reason: "the version and the name must be separated by a double underscore (V<version>__<name>/)")
            }
            let version = String(rest[rest.startIndex..<separator.lowerBound])
            let name = String(rest[separator.upperBound...])
            if !version.unicodeScalars.allSatisfy({ isDigit($0) || $0 == "." }) || MigrationVersion(version) == nil {
                return .violation(reason: "'\(version)' is not a version (digits, optionally separated by '.')")
            }
            if let reason = nameProblem(name, allowDots: true) { return .violation(reason: reason) }
            return .directory(version: version, name: name, style: .prefixed)
        }
        if first == "v" {
            let rest = dirName.dropFirst()
            if let next = rest.unicodeScalars.first, isDigit(next) {
                return .violation(reason: "the prefix must be an uppercase V")
            }
            return .ignored
        }
        guard isDigit(first) else { return .ignored }
        guard let underscore = dirName.firstIndex(of: "_") else {
            return .violation(reason: "expected <version>_<name>/ (diesel) or V<version>__<name>/")
        }
        let version = String(dirName[dirName.startIndex..<underscore])
        let name = String(dirName[dirName.index(after: underscore)...])
        if version.contains(".") || MigrationVersion(version) == nil {
            return .violation(reason: "'\(version)' is not a version (digits, optionally separated by '-')")
        }
        if let reason = nameProblem(name, allowDots: true) { return .violation(reason: reason) }
        return .directory(version: version, name: name, style: .diesel)
    }

    // MARK: Pieces

    /// Whether a name (without extension) starts like a migration: a digit or a V/U/R prefix.
    static func looksLikeMigration(_ base: String) -> Bool {
        guard let first = base.unicodeScalars.first else { return false }
        if isDigit(first) { return true }
        if "VURvur".unicodeScalars.contains(first) {
            let rest = base.unicodeScalars.dropFirst()
            if let next = rest.first, isDigit(next) || next == "_" { return true }
        }
        return false
    }

    /// `<version>_<name>` with the version before the first underscore.
    private static func splitVersionAndName(_ stem: String) -> Split {
        guard let underscore = stem.firstIndex(of: "_") else {
            return .bad("expected <version>_<name>: the version and the name must be separated by '_'")
        }
        let version = String(stem[stem.startIndex..<underscore])
        let name = String(stem[stem.index(after: underscore)...])
        guard MigrationVersion(version) != nil else {
            return .bad("'\(version)' is not a version (digits separated by '.' or '-')")
        }
        if let reason = nameProblem(name, allowDots: false) { return .bad(reason) }
        return .ok(version, name)
    }

    /// The outcome of splitting `<version>_<name>`.
    private enum Split {
        case ok(String, String)
        case bad(String)
    }

    /// `YYYYMMDD_HHMMSS_` at the start of `base`: the version and the rest after it.
    static func timestampPrefix(_ base: String) -> (String, String)? {
        let scalars = Array(base.unicodeScalars)
        guard scalars.count >= 16 else { return nil }
        for i in 0..<8 where !isDigit(scalars[i]) { return nil }
        guard scalars[8] == "_" else { return nil }
        for i in 9..<15 where !isDigit(scalars[i]) { return nil }
        guard scalars[15] == "_" else { return nil }
        var version = String.UnicodeScalarView()
        version.append(contentsOf: scalars[0..<15])
        var rest = String.UnicodeScalarView()
        rest.append(contentsOf: scalars[16...])
        return (String(version), String(rest))
    }

    /// Why `name` cannot be a migration name, or `nil` when it can.
    static func nameProblem(_ name: String, allowDots: Bool) -> String? {
        if name.isEmpty { return "the name after the version is missing" }
        if name.hasPrefix("_") { return "the name must not start with '_' (check the separator)" }
        // Byte checks: these characters are ASCII, and Foundation's substring search is slow.
        if !allowDots && name.utf8.contains(UInt8(ascii: ".")) {
            return "unexpected '.' in the name (only .sql, .up.sql, .down.sql and .verify.sql are known)"
        }
        if name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") }) {
            return "the name must not contain a path separator"
        }
        let isASCII = name.utf8.allSatisfy { $0 < 0x80 }
        if isASCII ? name.utf8.contains(where: { $0 == 0x20 || (0x09...0x0D).contains($0) })
                   : name.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            return "the name must not contain whitespace"
        }
        return nil
    }

    static func isDigit(_ s: Unicode.Scalar) -> Bool { s >= "0" && s <= "9" }
}
