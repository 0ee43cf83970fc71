#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who and where a run happens, written to every history and log row (`applied_by`, `hostname`).
///
/// `user` is the operating-system user, never a database user or URL.
public struct RunIdentity: Sendable, Hashable {
    /// The operating-system user name.
    public var user: String
    /// The host name.
    public var hostname: String

    /// Creates an identity.
    public init(user: String, hostname: String) {
        self.user = user
        self.hostname = hostname
    }

    /// The identity of this process.
    public static func current() -> RunIdentity {
        var user = "unknown"
        if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name {
            user = String(cString: name)
        } else if let env = getenv("USER") {
            user = String(cString: env)
        }
        var buffer = [CChar](repeating: 0, count: 256)
        var host = "localhost"
        if gethostname(&buffer, buffer.count - 1) == 0 {
            host = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return RunIdentity(user: user, hostname: host)
    }
}
