import Strata
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The committed content of a write-ahead log, read as SQLite's own recovery reads it
/// (<https://sqlite.org/fileformat2.html#walformat>): the frames from the start whose salts match
/// the header's and whose running checksums hold, up to the last commit frame among them; frames
/// after it (a transaction that spilled pages and rolled back, or a log restarted over a longer one)
/// are not part of the database.
///
/// Read while this process holds the database's write lock, the log cannot grow or restart, so its
/// committed frames on top of the main file are the database as every reader sees it. A checkpoint
/// of another connection may copy some of them into the main file meanwhile; it writes the same
/// bytes, and every page it touches is written again from its frame here.
struct SQLiteWALReplay: Sendable {
    /// The page size in the log's header.
    let pageSize: Int
    /// The database's size in pages after the last committed transaction; `nil` when the log holds
    /// no committed frame (the main file alone is the database).
    let pageCount: Int64?
    /// The offset in the log of the newest committed frame of each page up to ``pageCount``, in
    /// page order.
    let frames: [(page: UInt32, offset: Int64)]

    private static let headerSize = 32
    private static let frameHeaderSize = 24

    /// Reads the log's frames and checksums; `nil` when its header is not one this reader knows
    /// (the caller then falls back to SQLite's online backup). An empty log is a log without frames.
    static func read(_ log: SQLiteVFSFile, source: String) throws(StrataError) -> SQLiteWALReplay? {
        let length = try log.length(source)
        let header = UnsafeMutableRawBufferPointer.allocate(byteCount: headerSize, alignment: 8)
        defer { header.deallocate() }
        guard length >= Int64(headerSize) else {
            return length == 0 ? SQLiteWALReplay(pageSize: 0, pageCount: nil, frames: []) : nil
        }
        try log.read(into: header, at: 0, source)
        let magic = bigEndian(header, 0)
        let pageSize = Int(bigEndian(header, 8))
        guard magic & 0xFFFF_FFFE == 0x377F_0682, bigEndian(header, 4) == 3_007_000,
              pageSize >= 512, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else { return nil }
        let wordsAreBigEndian = magic & 1 == 1
        var sum = Checksum()
        sum.add(UnsafeRawBufferPointer(rebasing: header[0..<24]), bigEndian: wordsAreBigEndian)
        guard sum.first == bigEndian(header, 24), sum.second == bigEndian(header, 28) else { return nil }
        let salts = (bigEndian(header, 16), bigEndian(header, 20))

        // Frames are read a batch at a time; each page's newest frame is taken at each commit.
        let frameSize = frameHeaderSize + pageSize
        let batchFrames = max(1, (256 << 10) / frameSize)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: batchFrames * frameSize, alignment: 8)
        defer { buffer.deallocate() }
        var newest: [UInt32: Int64] = [:]
        var uncommitted: [(page: UInt32, offset: Int64)] = []
        var pageCount: Int64?
        var offset = Int64(headerSize)
        scan: while offset + Int64(frameSize) <= length {
            let count = Int(min(Int64(batchFrames), (length - offset) / Int64(frameSize)))
            let batch = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(count * frameSize)])
            try log.read(into: batch, at: offset, source)
            for index in 0..<count {
                let frame = UnsafeRawBufferPointer(rebasing: batch[(index * frameSize)..<((index + 1) * frameSize)])
                let page = bigEndian(frame, 0), commitSize = bigEndian(frame, 4)
                guard page != 0, bigEndian(frame, 8) == salts.0, bigEndian(frame, 12) == salts.1 else { break scan }
                var next = sum
                next.add(UnsafeRawBufferPointer(rebasing: frame[0..<8]), bigEndian: wordsAreBigEndian)
                next.add(UnsafeRawBufferPointer(rebasing: frame[frameHeaderSize...]), bigEndian: wordsAreBigEndian)
                guard next.first == bigEndian(frame, 16), next.second == bigEndian(frame, 20) else { break scan }
                sum = next
                uncommitted.append((page, offset + Int64(index * frameSize + frameHeaderSize)))
                if commitSize != 0 {
                    for entry in uncommitted { newest[entry.page] = entry.offset }
                    uncommitted.removeAll(keepingCapacity: true)
                    pageCount = Int64(commitSize)
                }
            }
            offset += Int64(count * frameSize)
        }
        let limit = pageCount ?? 0
        let frames = newest.filter { Int64($0.key) <= limit }.map { (page: $0.key, offset: $0.value) }
            .sorted { $0.page < $1.page }
        return SQLiteWALReplay(pageSize: pageSize, pageCount: pageCount, frames: frames)
    }

    /// Writes each committed page into `destination` (a copy of the main file) and cuts it to the
    /// database's size.
    func apply(from log: SQLiteVFSFile, source: String, to destination: String) throws(StrataError) {
        guard let pageCount else { return }
        let output = open(destination, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
        guard output >= 0 else {
            throw StrataError(.configuration, "cannot write the backup \(destination): \(SQLiteBackups.errnoText())")
        }
        defer { close(output) }
        let page = UnsafeMutableRawBufferPointer.allocate(byteCount: pageSize, alignment: 4096)
        defer { page.deallocate() }
        for frame in frames {
            try log.read(into: page, at: frame.offset, source)
            guard lseek(output, off_t(Int64(frame.page - 1) * Int64(pageSize)), SEEK_SET) >= 0 else {
                throw StrataError(.database, "cannot write \(destination): \(SQLiteBackups.errnoText())")
            }
            try SQLiteBackups.writeAll(output, UnsafeRawBufferPointer(page), destinationPath: destination)
        }
        guard ftruncate(output, off_t(pageCount * Int64(pageSize))) == 0 else {
            throw StrataError(.database, "cannot write \(destination): \(SQLiteBackups.errnoText())")
        }
    }

    private static func bigEndian(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func bigEndian(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int) -> UInt32 {
        bigEndian(UnsafeRawBufferPointer(bytes), offset)
    }

    /// The log's running checksum: two 32-bit sums over pairs of words, in the byte order the
    /// header's magic number names.
    private struct Checksum {
        var first: UInt32 = 0
        var second: UInt32 = 0

        mutating func add(_ bytes: UnsafeRawBufferPointer, bigEndian: Bool) {
            var s0 = first, s1 = second
            var offset = 0
            while offset + 8 <= bytes.count {
                var x0 = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                var x1 = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                if bigEndian { x0 = UInt32(bigEndian: x0); x1 = UInt32(bigEndian: x1) } else {
                    x0 = UInt32(littleEndian: x0); x1 = UInt32(littleEndian: x1)
                }
                s0 = s0 &+ x0 &+ s1
                s1 = s1 &+ x1 &+ s0
                offset += 8
            }
            first = s0
            second = s1
        }
    }
}
