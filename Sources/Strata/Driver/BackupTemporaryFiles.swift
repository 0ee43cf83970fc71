import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The hidden files a backup is written to before it gets its final name, and the removal of
/// those that interrupted backups left behind. Both backup implementations (SQLite's online copy
/// and PostgreSQL's `pg_dump`) use it.
///
/// A backup `app_pre_v003_20261121T104000123Z.dump` is written to
/// `.app_pre_v003_20261121T104000123Z.dump.strata-tmp-<token>` in the same directory and renamed
/// when it is complete. A process killed in between leaves the hidden file; the next backup of
/// the same database deletes those that nothing has written to for ``staleAge`` (so a file still
/// being written — by a slow backup of another process, or by a `pg_dump` that outlived its killed
/// runner — is left alone). They never have a final name, so they are never listed or restored.
///
/// ```swift
/// let temp = BackupTemporaryFiles.path(in: "backups", for: "app_pre_v3_20261121T104000123Z.dump")
/// // … write, then rename(temp, final) …
/// BackupTemporaryFiles.removeStale(in: "backups", backupPrefix: "app_pre_v")
/// ```
public enum BackupTemporaryFiles {
    /// What every temporary name contains after the final name.
    public static let marker = ".strata-tmp-"

    /// How long a temporary file must have been left untouched before it counts as abandoned (an hour).
    public static let staleAge: TimeInterval = 3600

    /// A new hidden temporary name for the file `name` in `directory`:
    /// `<directory>/.<name>.strata-tmp-<8 random hex digits>`.
    public static func path(in directory: String, for name: String) -> String {
        let token = UUID().uuidString.prefix(8).lowercased()
        return (directory as NSString).appendingPathComponent(".\(name)\(marker)\(token)")
    }

    /// Deletes the temporary files of interrupted backups in `directory` whose final names start
    /// with `backupPrefix` (for example `app_pre_v`) and that were last modified at least
    /// ``staleAge`` before `now`. Files that cannot be deleted are left (the next backup tries again).
    /// - Returns: The deleted files.
    @discardableResult
    public static func removeStale(in directory: String, backupPrefix: String, now: Date = Date()) -> [String] {
        let prefix = "." + backupPrefix
        let cutoff = now.addingTimeInterval(-staleAge)
        var removed: [String] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        where name.hasPrefix(prefix) && name.contains(marker) {
            let path = (directory as NSString).appendingPathComponent(name)
            // The link itself when it is a symbolic link (never its target).
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, modified <= cutoff, unlink(path) == 0 { removed.append(path) }
        }
        return removed
    }
}
