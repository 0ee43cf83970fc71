import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The backups directory of `strata doctor`, for every engine: missing (created by the first
/// backup, if its parent is writable), not a directory, or writable by this user.
enum BackupDirectoryCheck {
    /// The check, and whether the directory exists so its backups can be listed.
    static func check(_ directory: String, keep: Int) -> (check: DoctorCheck, exists: Bool) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            let parent = SQLiteDiagnosis.directory(of: directory)
            let creatable = access(parent, W_OK | X_OK) == 0
            return (DoctorCheck(
                name: "directory", status: creatable ? .info : .failed,
                summary: "\(directory) does not exist yet; the first backup creates it" + (creatable ? "" : ", but \(parent) is not writable"),
                hint: creatable ? nil : "make \(parent) writable, or set backups.dir in strata.yml"), false)
        }
        guard isDirectory.boolValue else {
            return (DoctorCheck(name: "directory", status: .failed, summary: "\(directory) is not a directory",
                                hint: "set backups.dir in strata.yml to a directory"), false)
        }
        let writable = access(directory, W_OK | X_OK) == 0
        return (DoctorCheck(name: "directory", status: writable ? .ok : .failed,
                            summary: "\(directory): \(writable ? "writable" : "not writable") by \(SQLiteDiagnosis.currentUser()), keeping the newest \(keep)",
                            hint: writable ? nil : "make \(directory) writable, or set backups.dir in strata.yml"), true)
    }

    /// The `backups` check: how many there are and the newest (first), each as its file name,
    /// when it was taken (already formatted) and the version it holds.
    static func inventory(_ read: () throws -> [(file: String, when: String, version: String?)]) -> DoctorCheck {
        do {
            let files = try read()
            guard let newest = files.first else {
                return DoctorCheck(name: "backups", status: .info, summary: "none yet; every mutating command takes one, or run `strata backup`")
            }
            return DoctorCheck(name: "backups", status: .ok,
                               summary: "\(files.count) backup\(files.count == 1 ? "" : "s"); newest \(newest.file) (\(newest.when), version \(newest.version ?? "?"))")
        } catch {
            return ProjectDiagnosis.failure("backups", error, context: "cannot list backups")
        }
    }
}
