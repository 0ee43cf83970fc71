/// Exact byte-for-byte substring search over UTF-8, for the quick "is this marker anywhere in the
/// script?" checks that let most scripts skip a full scan (directives, lint-ignore comments).
///
/// ```swift
/// ByteSearch.contains("-- strata:no-transaction\nCREATE …", "strata:")  // true
/// ```
enum ByteSearch {
    /// Whether `needle` occurs in `haystack`, compared as UTF-8 bytes (case-sensitive).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        var haystack = haystack
        var needle = needle
        return haystack.withUTF8 { bytes in
            needle.withUTF8 { pattern in
                guard let first = pattern.first else { return true }
                guard bytes.count >= pattern.count else { return false }
                var i = 0
                let last = bytes.count - pattern.count
                while i <= last {
                    if bytes[i] == first {
                        var k = 1
                        while k < pattern.count, bytes[i + k] == pattern[k] { k += 1 }
                        if k == pattern.count { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }
}
