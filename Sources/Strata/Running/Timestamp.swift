#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ISO-8601 UTC timestamps as stored in the history: `2026-11-21T10:40:00.123Z`.
public enum Timestamp {
    /// The current time.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return format(seconds: Int(ts.tv_sec), milliseconds: Int(ts.tv_nsec / 1_000_000))
    }

    /// Formats seconds since 1970 plus milliseconds.
    public static func format(seconds: Int, milliseconds: Int) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds), 3))Z"
    }

    /// `YYYYMMDD_HHMMSS` in UTC, for file names.
    public static func compact() -> String {
        let iso = now()
        let digits = iso.prefix(19).filter { $0.isNumber }
        return String(digits.prefix(8)) + "_" + String(digits.dropFirst(8).prefix(6))
    }
}
