import Crypto
import Foundation

/// Checksums of migration scripts.
///
/// The checksum is SHA-256 (lowercase hex) of the script after removing a UTF-8 byte-order mark
/// and turning CRLF and lone CR into LF, so a change of line endings alone never breaks validation.
///
/// ```swift
/// Checksum.sha256Hex(ofScript: "SELECT 1;\r\n") == Checksum.sha256Hex(ofScript: "SELECT 1;\n") // true
/// ```
public enum Checksum {
    /// The normalised bytes of `script`: no BOM, LF line endings.
    public static func normalizedBytes(_ script: String) -> [UInt8] {
        var bytes = Array(script.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        // memchr: a plain scan of a 100 MB script is slow in debug builds.
        guard bytes.withUnsafeBufferPointer({ $0.baseAddress.map { memchr($0, 13, bytes.count) != nil } ?? false }) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 13 {
                out.append(10)
                if i + 1 < bytes.count && bytes[i + 1] == 10 { i += 1 }
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    /// SHA-256 (lowercase hex) of the normalised script.
    public static func sha256Hex(ofScript script: String) -> String {
        hex(SHA256.hash(data: normalizedBytes(script)))
    }

    /// SHA-256 (lowercase hex) of raw bytes.
    public static func sha256Hex(of bytes: [UInt8]) -> String {
        hex(SHA256.hash(data: bytes))
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
