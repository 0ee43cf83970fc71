import Foundation
import Testing

extension StrataProcess {
    /// `runuser`, which runs a program as another user (root ignores file permissions, so tests
    /// about permissions run `strata` as an unprivileged user).
    static let runuser: String? = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `strata` as `user` (via `runuser -u user --`). Fails the test loudly when the tests do not
    /// run as root or `runuser` is missing, instead of silently testing nothing.
    @discardableResult
    static func strata(_ arguments: [String], in directory: URL, runAs user: String,
                       environment: [String: String] = [:]) throws -> ProcessResult {
        guard getuid() == 0 else {
            Issue.record("permission tests must run as root (to switch to \(user) with runuser); uid is \(getuid())")
            throw CancellationError()
        }
        guard let runuser else {
            Issue.record("runuser was not found (package util-linux); permission tests cannot run as \(user)")
            throw CancellationError()
        }
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            Issue.record("the strata binary was not found next to the tests (\(binary)); build it with `swift build` or set STRATA_BIN")
            throw CancellationError()
        }
        return try run(runuser, ["-u", user, "--", binary] + arguments, in: directory, environment: environment)
    }

    /// Sets POSIX permissions, for example `0o444`.
    static func chmod(_ url: URL, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    /// Makes `user` the owner of `url`.
    static func chown(_ url: URL, to user: String) throws {
        guard let entry = getpwnam(user) else {
            Issue.record("no user \(user) on this system")
            throw CancellationError()
        }
        guard Foundation.chown(url.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            Issue.record("chown \(user) \(url.path) failed: errno \(errno)")
            throw CancellationError()
        }
    }
}
