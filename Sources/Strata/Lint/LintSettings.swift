import Yams

/// The `lint:` section of `strata.yml`.
///
/// ```yaml
/// lint:
///   block_on: error   # or warning; leave out to only print findings
/// ```
enum LintSettings {
    /// Reads `block_on` from the `lint:` mapping.
    static func blockOn(_ node: Node, path: String) throws(StrataError) -> LintSeverity? {
        guard let map = node.mapping else {
            throw StrataError(.invalidMetadata, "'lint' must be a mapping (block_on)", location: YAMLErrors.location(node, file: path))
        }
        var result: LintSeverity?
        for (key, value) in map {
            let name = key.scalar?.string ?? ""
            guard name == "block_on" else {
                throw StrataError(.invalidMetadata, "unknown key 'lint.\(name)'", location: YAMLErrors.location(key, file: path),
                                  hint: "known keys: block_on")
            }
            let text = value.scalar?.string ?? ""
            switch text {
            case "never", "": result = nil
            default:
                guard let severity = LintSeverity(rawValue: text) else {
                    throw StrataError(.invalidMetadata, "'lint.block_on' must be error, warning or never", location: YAMLErrors.location(value, file: path))
                }
                result = severity
            }
        }
        return result
    }
}
