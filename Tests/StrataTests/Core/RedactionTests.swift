import Testing
@testable import Strata

/// Passwords in database URLs are hidden whole, however they are written.
@Suite("Password redaction")
struct RedactionTests {
    @Test(arguments: [
        ("postgres://app:p@ss/w0rd@db:5432/app", "postgres://app:***@db:5432/app"),
        ("postgres://app:pa:ss@db/app?sslmode=require", "postgres://app:***@db/app?sslmode=require"),
        ("postgres://app@db/app?sslmode=disable&PASSWORD=p@ss/w0rd?x#y", "postgres://app@db/app?sslmode=disable&PASSWORD=***"),
        ("postgresql://app:s%40cret@db/app", "postgresql://app:***@db/app"),
        ("postgres://db:5432/app", "postgres://db:5432/app"),
        ("postgres://app@db:5432/app", "postgres://app@db:5432/app"),
    ])
    func passwordIsHiddenWhole(url: String, shown: String) {
        #expect(DatabaseURL.redact(url) == shown)
    }
}
