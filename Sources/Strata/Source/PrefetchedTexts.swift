import Foundation

/// Migration files read ahead, several at a time, so that the loader — which reads every file
/// of the directory on every command, to check its checksum — waits for the disk (and the
/// kernel's open/read/close) on all cores instead of one.
///
/// Only what ``SourceFileSystem/readText(_:)`` would return without complaint is kept: a plain
/// regular file inside the directory that is valid UTF-8. Anything else (a link, a bad byte, a
/// file that cannot be opened) is left out, and `readText` reads it itself, the careful way, and
/// says what is wrong. Each text is handed out once and then dropped, so no second copy of the
/// directory stays in memory.
/// (`@unchecked Sendable`: the dictionary is only touched under the lock.)
final class PrefetchedTexts: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String: String] = [:]

    /// Takes the text read ahead for `path`, if any.
    func take(_ path: String) -> String? {
        lock.withLock { texts.isEmpty ? nil : texts.removeValue(forKey: path) }
    }

    /// Makes room for `count` more texts, so that storing them does not grow the table.
    func reserve(_ count: Int) {
        lock.withLock { texts.reserveCapacity(texts.count + count) }
    }

    /// Keeps the text read ahead for `path`.
    func store(_ text: String, for path: String) {
        lock.withLock { texts[path] = text }
    }
}

extension SourceFileSystem {
    /// Below this many files, reading ahead costs more than it saves.
    static let prefetchThreshold = 64

    /// Reads `paths` ahead on up to four threads; ``readText(_:)`` then returns them without
    /// touching the disk. Nothing is thrown: files that cannot be read ahead are read later.
    func prefetch(_ paths: [String]) {
        let workers = min(4, ProcessInfo.processInfo.activeProcessorCount, paths.count / (Self.prefetchThreshold / 2))
        guard paths.count >= Self.prefetchThreshold, workers > 1 else { return }
        // One table, sized once: per-worker tables merged at the end held every text twice over
        // in hash tables (1 MB at 10,000 files).
        readAhead.reserve(paths.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: paths.count, by: workers) {
                let path = paths[index]
                guard let bytes = readPlainFile(path), let text = try? Self.decodeUTF8(bytes, path: path) else { continue }
                readAhead.store(text, for: path)
            }
        }
    }
}
