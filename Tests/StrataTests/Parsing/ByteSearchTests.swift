import Testing
@testable import Strata

@Suite("ByteSearch")
struct ByteSearchTests {
    @Test("finds a needle at the start, in the middle and at the very end")
    func positions() {
        #expect(ByteSearch.contains("strata:x", "strata:"))
        #expect(ByteSearch.contains("-- a strata: b", "strata:"))
        #expect(ByteSearch.contains("-- strata:", "strata:"))
    }

    @Test("a partial match, a shorter haystack or another case is not a match")
    func nonMatches() {
        #expect(!ByteSearch.contains("-- strata", "strata:"))
        #expect(!ByteSearch.contains("strat", "strata:"))
        #expect(!ByteSearch.contains("", "strata:"))
        #expect(!ByteSearch.contains("-- STRATA:no-transaction", "strata:"))
        #expect(!ByteSearch.contains("stratastrata strata :", "strata:"))
    }

    @Test("compares UTF-8 bytes: non-ASCII text around and inside the needle")
    func unicode() {
        #expect(ByteSearch.contains("-- café strata:lint-ignore X", "strata:lint-ignore"))
        #expect(ByteSearch.contains("naïve ✓ done", "✓"))
        #expect(!ByteSearch.contains("naïve", "naive"))
        #expect(ByteSearch.contains("anything", ""))
    }

    @Test("agrees with String.contains on generated text")
    func agreesWithStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["s", "t", "r", "a", ":", "-", " ", "é"]
        for _ in 0..<500 {
            let haystack = String((0..<Int.random(in: 0...24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            let needle = String((0..<Int.random(in: 1...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            #expect(ByteSearch.contains(haystack, needle) == haystack.utf8.elementsEqualSomewhere(needle.utf8),
                    "\(haystack) / \(needle)")
        }
    }
}

extension String.UTF8View {
    /// A plain reference implementation: does `needle` occur at any offset?
    fileprivate func elementsEqualSomewhere(_ needle: String.UTF8View) -> Bool {
        let bytes = Array(self), pattern = Array(needle)
        guard bytes.count >= pattern.count else { return false }
        return (0...(bytes.count - pattern.count)).contains { Array(bytes[$0..<$0 + pattern.count]) == pattern }
    }
}
