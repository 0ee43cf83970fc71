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
    /// The migrations directory as given (the start of every path read through this accessor),
    /// when known: paths below it whose components are plain names and no symbolic links are
    /// inside without resolving them.
    let rootPath: String?

    /// The migrations directory, open, when ``rootPath`` is known: files below it are opened
    /// relative to it (`openat`), which spares the kernel walking the whole path for every file.
    private let root: DirectoryDescriptor?

    /// Texts read ahead by ``prefetch(_:)``, handed out (once each) by ``readText(_:)``.
    let readAhead = PrefetchedTexts()

    /// Creates the accessor for a root directory given by its canonical path (and, optionally, the
    /// path it was given as).
    init(rootRealPath: String, rootPath: String? = nil) {
        self.rootRealPath = rootRealPath
        self.rootPath = rootPath
        root = rootPath.flatMap(DirectoryDescriptor.init(path:))
    }

    /// An open directory, closed when the last accessor holding it goes away.
    private final class DirectoryDescriptor: Sendable {
        let fd: Int32

        init?(path: String) {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            self.fd = fd
        }

        deinit { close(fd) }
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
        listing(in: path)?.map(\.name)
    }

    /// The entries of a directory, sorted by name, with their type when the directory listing
    /// alone tells it (a regular file or a directory that is not a symbolic link); `nil` otherwise,
    /// and ``type(of:)`` tells.
    static func listing(in path: String) -> [(name: String, type: EntryType?)]? {
        guard let stream = opendir(path) else { return nil }
        defer { closedir(stream) }
        var entries: [(name: String, type: EntryType?)] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let type: EntryType? = switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): .file
            case Int32(DT_DIR): .directory
            default: nil
            }
            entries.append((name, type))
        }
        return entries.sorted { $0.name < $1.name }
    }

    /// What the entry at `path` is, following symbolic links (one `stat`, and an `lstat` only when
    /// that fails).
    static func type(of path: String) -> EntryType {
        var info = stat()
        if stat(path, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: return .directory
            case S_IFREG: return .file
            default: return .other
            }
        }
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK { return .brokenLink }
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
        if let text = readAhead.take(path) { return text }
        if let bytes = readPlainFile(path) { return try Self.decodeUTF8(bytes, path: path) }
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
        guard let bytes = Self.readBytes(path) else {
            throw StrataError(.invalidFile, "\(path) cannot be read", hint: "check the file's permissions")
        }
        return try Self.decodeUTF8(bytes, path: path)
    }

    /// The content of a regular file that is ``rootPath`` followed by plain names (no `.`, `..` or
    /// empty component), none of them a symbolic link: such a file cannot lie outside the
    /// directory, so it is read without resolving its path. `nil` for any other path, and when
    /// anything fails: ``readText(_:)`` then takes the careful way, which says what is wrong.
    func readPlainFile(_ path: String) -> [UInt8]? {
        guard let rootPath, !rootPath.isEmpty else { return nil }
        let prefix = rootPath.hasSuffix("/") ? rootPath : rootPath + "/"
        guard path.utf8.starts(with: prefix.utf8), path.utf8.count > prefix.utf8.count else { return nil }
        let components = path.utf8.dropFirst(prefix.utf8.count).split(separator: UInt8(ascii: "/"),
                                                                       omittingEmptySubsequences: false)
        for (i, component) in components.enumerated() {
            guard !component.isEmpty, !component.elementsEqual(".".utf8), !component.elementsEqual("..".utf8)
            else { return nil }
            // The last component is opened with O_NOFOLLOW below; the directories above it must not
            // be links either.
            if i < components.count - 1 {
                var info = stat()
                let directory = String(decoding: path.utf8[..<component.endIndex], as: UTF8.self)
                guard lstat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
            }
        }
        let flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC
        let fd: Int32
        if let root {
            fd = String(decoding: path.utf8.dropFirst(prefix.utf8.count), as: UTF8.self).withCString {
                openat(root.fd, $0, flags)
            }
        } else {
            fd = open(path, flags)
        }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Self.readAll(fd, size: Int(info.st_size))
    }

    /// The whole content of a file, or `nil` when it cannot be opened or read.
    static func readBytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        return readAll(fd, size: fstat(fd, &info) == 0 ? Int(info.st_size) : 0)
    }

    /// Reads an open file to its end; `size` is what `fstat` said (0 when unknown).
    private static func readAll(_ fd: Int32, size: Int) -> [UInt8]? {
        // One byte more than the size: a file that has not grown is read in one call, and the
        // short read says the end was reached.
        let capacity = size > 0 ? size + 1 : 4096
        var failed = false
        // Read straight into the array's storage: no second buffer, no copy.
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            while initialized < buffer.count {
                let count = read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                if count < 0 {
                    if errno == EINTR { continue }
                    failed = true
                    return
                }
                if count == 0 { return }
                initialized += count
                if size > 0 && initialized == size { return }
            }
        }
        if failed { return nil }
        if bytes.count < capacity { return bytes }
        // The file grew while it was read: go on in chunks to its end.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
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
