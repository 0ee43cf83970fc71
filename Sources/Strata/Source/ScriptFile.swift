import Foundation

/// File-system access for the migration sources: what an entry is, reading text files strictly as
/// UTF-8, and refusing symbolic links that lead out of the migrations directory.
struct SourceFileSystem: Sendable {
    /// What a directory entry is, after following symbolic links.
    enum EntryType: Sendable, Equatable {
        case file
        case directory
        /// A symbolic link whose target does not exist.
        case brokenLink
        /// A socket, device or anything else.
        case other
    }

    /// The canonical (symlink-free, absolute) path of the migrations directory.
    let rootRealPath: String

    /// Creates the accessor for a root directory given by its canonical path.
    init(rootRealPath: String) {
        self.rootRealPath = rootRealPath
    }

    /// The canonical path of `path` (symbolic links resolved), or `nil` when it does not exist.
    static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// `base/name`, without doubling a trailing slash.
    static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        return base.hasSuffix("/") ? base + name : base + "/" + name
    }

    /// The names in a directory, sorted.
    static func names(in path: String) -> [String]? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        return names.sorted()
    }

    /// What the entry at `path` is, following symbolic links.
    static func type(of path: String) -> EntryType {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return .directory }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let type = attributes?[.type] as? FileAttributeType
            // attributesOfItem does not follow a symlink; a symlink to a regular file is a file.
            if type == nil || type == .typeRegular || type == .typeSymbolicLink { return .file }
            return .other
        }
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil { return .brokenLink }
        return .other
    }

    /// Throws unless `path` resolves to a place inside the migrations directory.
    func checkInside(_ path: String) throws(StrataError) {
        guard let real = Self.canonicalPath(path) else {
            throw StrataError(.invalidFile, "\(path) cannot be resolved (broken symbolic link?)",
                              hint: "remove the link or point it at an existing file inside the migrations directory")
        }
        let root = rootRealPath.hasSuffix("/") ? rootRealPath : rootRealPath + "/"
        guard real.hasPrefix(root) else {
            throw StrataError(
                .invalidFile, "\(path) is a symbolic link that leads outside the migrations directory",
                hint: "copy the file into the migrations directory instead of linking to it",
                details: ["target: \(real)"])
        }
    }

    /// Reads a text file that must be UTF-8, without a leading byte-order mark.
    ///
    /// - Throws: ``StrataError/Code/invalidFile`` when it is a directory, cannot be read, leads
    ///   outside the root, or is not UTF-8 (located at the first bad byte).
    func readText(_ path: String) throws(StrataError) -> String {
        switch Self.type(of: path) {
        case .file: break
        case .directory:
            throw StrataError(.invalidFile, "\(path) is a directory, not a file",
                              hint: "a migration script must be a regular file")
        case .brokenLink:
            throw StrataError(.invalidFile, "\(path) is a broken symbolic link",
                              hint: "remove the link or point it at an existing file inside the migrations directory")
        case .other:
            throw StrataError(.invalidFile, "\(path) is not a regular file")
        }
        try checkInside(path)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StrataError(.invalidFile, "\(path) cannot be read", hint: "check the file's permissions")
        }
        return try Self.decodeUTF8(Array(data), path: path)
    }

    /// Decodes bytes as strict UTF-8, dropping a leading BOM.
    static func decodeUTF8(_ bytes: [UInt8], path: String) throws(StrataError) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        // The standard library's validation is fast; the scalar walk below only locates a bad byte.
        if let text = String(validating: body, as: UTF8.self) {
            // A NUL is valid UTF-8 but never part of SQL text: the file is binary, or damaged.
            let nul: Int? = body.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress, let found = memchr(base, 0, buffer.count) else { return nil }
                return UnsafeRawPointer(found) - UnsafeRawPointer(base)
            }
            guard let nul else { return text }
            throw StrataError(
                .invalidFile, "\(path) contains a NUL byte (at offset \(bytes.count - body.count + nul)), so it is not a text file",
                location: MigrationScript(path: path, sql: text).location(ofUTF8Offset: nul),
                hint: "save the migration as UTF-8 text; remove the NUL character")
        }
        // Find the first bad byte. The valid part before it is skipped fast: 64 KiB chunks (never
        // cut inside a sequence) checked by the standard library, then whole lines, counted with
        // memchr; only the line with the bad byte is walked scalar by scalar.
        var start = body.startIndex
        while start < body.endIndex {
            var end = min(start + 65_536, body.endIndex)
            while end < body.endIndex, end > start + 4, body[end] & 0xC0 == 0x80 { end -= 1 }
            if String(validating: body[start..<end], as: UTF8.self) == nil { break }
            start = end
        }
        var line = 1
        var lineStart = body.startIndex
        body.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var at = 0
            let limit = start - body.startIndex
            while at < limit, let found = memchr(base + at, 0x0A, limit - at) {
                at = UnsafeRawPointer(found) - UnsafeRawPointer(base) + 1
                line += 1
            }
            lineStart = body.startIndex + at
        }
        // Validate the rest, keeping track of where we are to point at the first bad byte.
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = body[lineStart...].makeIterator()
        var column = 1
        var offset = lineStart - body.startIndex
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
                offset += encoded.count
            case .emptyInput:
                return String(decoding: body, as: UTF8.self)
            case .error:
                break loop
            }
        }
        let byteIndex = bytes.count - body.count + offset
        throw StrataError(
            .invalidFile, "\(path) is not UTF-8 text (invalid byte at offset \(byteIndex))",
            location: SourceLocation(file: path, line: line, column: column),
            hint: "save the file as UTF-8")
    }
}
