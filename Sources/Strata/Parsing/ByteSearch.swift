/// Substring search over UTF-8 bytes, for the quick "is this marker anywhere in the script?"
/// checks that let most scripts skip a full scan (directives, lint-ignore comments, statements
/// that cannot run in a transaction) without going through Foundation.
///
/// ```swift
/// ByteSearch.contains("-- strata:no-transaction\nCREATE …", "strata:")   // true
/// ByteSearch.containsIgnoringASCIICase("vacuum;", "VACUUM")              // true
/// ```
enum ByteSearch {
    /// Whether `needle` occurs in `haystack`, compared byte for byte (case-sensitive).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        search(haystack, needle, mask: 0xFF)
    }

    /// Whether `keyword` (upper-case ASCII letters only) occurs in `text`, ignoring ASCII case.
    static func containsIgnoringASCIICase(_ text: String, _ keyword: String) -> Bool {
        search(text, keyword, mask: 0xDF)
    }

    /// The scan: each byte of `haystack` is ANDed with `mask` before it is compared (`0xDF` folds
    /// ASCII lower-case letters onto upper-case ones).
    private static func search(_ haystack: String, _ needle: String, mask: UInt8) -> Bool {
        var haystack = haystack
        var needle = needle
        return haystack.withUTF8 { bytes in
            needle.withUTF8 { pattern in
                guard let first = pattern.first else { return true }
                guard bytes.count >= pattern.count else { return false }
                var i = 0
                let last = bytes.count - pattern.count
                while i <= last {
                    if bytes[i] & mask == first {
                        var k = 1
                        while k < pattern.count, bytes[i + k] & mask == pattern[k] { k += 1 }
                        if k == pattern.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
