import Yams

/// Reads a migration's `metadata.yaml` (seed 002) into ``MigrationMetadata``.
enum MetadataFile {
    /// Parsed metadata and where its `version` key's value is, for error messages.
    struct Parsed: Sendable {
        var metadata: MigrationMetadata
        var versionLocation: SourceLocation?
    }

    /// Parses the YAML text of a metadata file.
    ///
    /// - Throws: ``StrataError/Code/invalidMetadata`` with `path:line:column` for bad YAML, a
    ///   document that is not a mapping, or a known key with a value of the wrong type.
    static func parse(_ text: String, path: String) throws(StrataError) -> Parsed {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw yamlError(error, path: path)
        } catch {
            throw StrataError(.invalidMetadata, "\(path) is not valid YAML: \(error)",
                              location: SourceLocation(file: path, line: 1, column: 1))
        }
        guard let root else { return Parsed(metadata: MigrationMetadata(), versionLocation: nil) }
        if root.scalar != nil, tagName(root) == .null {
            return Parsed(metadata: MigrationMetadata(), versionLocation: nil)
        }
        guard case .mapping(let mapping) = root else {
            throw StrataError(.invalidMetadata, "metadata must be a mapping of keys to values",
                              location: location(of: root, path: path),
                              hint: "write one 'key: value' per line, for example 'description: \"Add users\"'")
        }

        var metadata = MigrationMetadata()
        var versionLocation: SourceLocation?
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                throw StrataError(.invalidMetadata, "metadata keys must be plain text",
                                  location: location(of: keyNode, path: path))
            }
            if isNull(value) { continue }
            switch key {
            case "version":
                var text = try scalarText(value, key: key, path: path)
                if text.hasPrefix("V") || text.hasPrefix("v") { text.removeFirst() }
                metadata.version = text
                versionLocation = location(of: value, path: path)
            case "description":
                metadata.description = try scalarText(value, key: key, path: path)
            case "author":
                metadata.author = try scalarText(value, key: key, path: path)
            case "created":
                metadata.created = try scalarText(value, key: key, path: path)
            case "notes":
                metadata.notes = try scalarText(value, key: key, path: path)
            case "dependencies":
                metadata.dependencies = try textList(value, key: key, path: path)
            case "tags":
                metadata.tags = try textList(value, key: key, path: path)
            case "estimated_duration_ms":
                guard value.scalar != nil, tagName(value) == .int, let number = value.int else {
                    throw typeError(key: key, expected: "a whole number of milliseconds", node: value, path: path)
                }
                metadata.estimatedDurationMs = number
            case "reversible":
                metadata.reversible = try bool(value, key: key, path: path)
            case "transaction":
                metadata.transaction = try bool(value, key: key, path: path)
            case "lock_timeout":
                metadata.lockTimeout = try duration(value, key: key, path: path)
            case "statement_timeout":
                metadata.statementTimeout = try duration(value, key: key, path: path)
            default:
                metadata.extra[key] = json(value)
            }
        }
        return Parsed(metadata: metadata, versionLocation: versionLocation)
    }

    // MARK: Values

    /// The resolved tag of a node (`Tag.name` itself is not public).
    private static func tagName(_ node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    private static func isNull(_ node: Node) -> Bool {
        node.scalar != nil && tagName(node) == .null
    }

    private static func scalarText(_ node: Node, key: String, path: String) throws(StrataError) -> String {
        guard let scalar = node.scalar else {
            throw typeError(key: key, expected: "text", node: node, path: path)
        }
        return scalar.string
    }

    private static func textList(_ node: Node, key: String, path: String) throws(StrataError) -> [String] {
        if let scalar = node.scalar { return [scalar.string] }
        guard case .sequence(let sequence) = node else {
            throw typeError(key: key, expected: "a list of text", node: node, path: path)
        }
        var items: [String] = []
        for item in sequence {
            guard let scalar = item.scalar, !isNull(item) else {
                throw typeError(key: key, expected: "a list of text", node: item, path: path)
            }
            items.append(scalar.string)
        }
        return items
    }

    private static func bool(_ node: Node, key: String, path: String) throws(StrataError) -> Bool {
        guard node.scalar != nil, tagName(node) == .bool, let value = node.bool else {
            throw typeError(key: key, expected: "true or false", node: node, path: path)
        }
        return value
    }

    /// A PostgreSQL duration such as `5s`, `500ms`, `2min` (a bare number is milliseconds).
    private static func duration(_ node: Node, key: String, path: String) throws(StrataError) -> String {
        guard let scalar = node.scalar, ScriptDirectives.isDuration(scalar.string) else {
            throw typeError(key: key, expected: "a duration such as 5s, 500ms or 2min", node: node, path: path)
        }
        return scalar.string
    }

    private static func typeError(key: String, expected: String, node: Node, path: String) -> StrataError {
        StrataError(.invalidMetadata, "'\(key)' must be \(expected)", location: location(of: node, path: path))
    }

    private static func location(of node: Node, path: String) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func yamlError(_ error: YamlError, path: String) -> StrataError {
        var line = 1
        var column = 1
        var problem = "\(error)"
        switch error {
        case .scanner(let context, let text, let mark, _),
             .parser(let context, let text, let mark, _),
             .composer(let context, let text, let mark, _):
            line = mark.line
            column = mark.column
            problem = text
            if let context { problem += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
        case .duplicatedKeysInMapping(let duplicates, let context):
            line = context.mark.line
            column = context.mark.column
            problem = "duplicate keys: \(duplicates.joined(separator: ", "))"
        case .reader(let text, _, _, _):
            problem = text
        default:
            break
        }
        return StrataError(.invalidMetadata, "\(path) is not valid YAML: \(problem)",
                           location: SourceLocation(file: path, line: line, column: column),
                           hint: "fix the YAML syntax; string values with ':' or '#' need quotes")
    }

    // MARK: JSON

    /// A YAML node as JSON text, for keys Strata does not know (stored in the history).
    ///
    /// Scalars keep their YAML type (null, booleans, integers, finite floats); everything else,
    /// timestamps included, becomes a JSON string. Mapping keys are sorted.
    static func json(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            switch tagName(node) {
            case .null:
                return "null"
            case .bool:
                if let value = node.bool { return value ? "true" : "false" }
            case .int:
                if let value = node.int { return String(value) }
            case .float:
                if let value = node.float, value.isFinite { return "\(value)" }
            default:
                break
            }
            return JSONText.quote(scalar.string)
        case .sequence(let sequence):
            return "[" + sequence.map { json($0) }.joined(separator: ",") + "]"
        case .mapping(let mapping):
            var fields: [(String, String)] = []
            for (key, value) in mapping {
                fields.append((key.scalar?.string ?? json(key), json(value)))
            }
            fields.sort { $0.0 < $1.0 }
            return "{" + fields.map { "\(JSONText.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        case .alias:
            return "null"
        }
    }
}
