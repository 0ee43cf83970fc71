import Strata
import StrataPostgres
import Testing

/// URLs per SPEC §4: TCP, sockets, sslmode, search_path, defaults, errors without passwords.
@Suite("PostgreSQL URLs")
struct PostgresConnectionSettingsTests {
    @Test func fullURL() throws {
        let s = try PostgresConnectionSettings.parse(
            "postgresql://app:p%40ss:word@db.example.com:6543/shop?sslmode=verify-full&search_path=%22Billing%22,public&application_name=deploy")
        #expect(s.host == "db.example.com" && s.port == 6543 && s.socketDirectory == nil)
        #expect(s.user == "app" && s.password == "p@ss:word" && s.database == "shop")
        #expect(s.sslMode == .verifyFull)
        #expect(s.schema == "Billing")
        #expect(s.applicationName == "deploy")
        #expect(s.redactedURL == "postgresql://app:***@db.example.com:6543/shop?sslmode=verify-full&search_path=%22Billing%22,public&application_name=deploy")
    }

    @Test func socketDirectoryAndDefaults() throws {
        let s = try PostgresConnectionSettings.parse("postgres://deploy@/app?host=/var/run/postgresql&port=5433",
                                                     environment: ["PGPASSWORD": "from-env"])
        #expect(s.socketDirectory == "/var/run/postgresql" && s.host == nil && s.port == 5433)
        #expect(s.endpoint == "/var/run/postgresql/.s.PGSQL.5433")
        #expect(s.password == "from-env")
        #expect(s.sslMode == .prefer)
        let bare = try PostgresConnectionSettings.parse("postgres://db.local", environment: ["USER": "alice"])
        #expect(bare.user == "alice" && bare.database == "alice" && bare.port == 5432)
        #expect(try PostgresConnectionSettings.parse("postgres://u@h/d?search_path=Mixed").schema == "mixed")
        #expect(try PostgresConnectionSettings.parse("postgres://u@[::1]:5000/d").host == "::1")
    }

    @Test func badURLsAreErrorsWithoutThePassword() {
        for url in ["postgres://u:topsecret@h/d?sslmode=sometimes", "postgres://u:topsecret@h/d?bogus=1",
                    "postgres://u:topsecret@h:notaport/d", "postgres://u:topsecret@h1,h2/d"] {
            do {
                _ = try PostgresConnectionSettings.parse(url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.code == .configuration)
                #expect(!error.description.contains("topsecret"), "\(error)")
            }
        }
    }
}
