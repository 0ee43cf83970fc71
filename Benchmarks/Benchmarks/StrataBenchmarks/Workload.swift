import Foundation

/// The benchmark workload in memory and on disk: the same migrations as `Benchmarks/workload.py`
/// writes (a table with five columns, an index and three rows each; every tenth also adds a
/// column to the table five earlier), in the flat layout.
struct Workload: Sendable {
    let count: Int
    let directory: String

    /// The up and down script of migration `number`, with versions padded to `width`.
    static func scripts(_ number: Int, width: Int) -> (name: String, up: String, down: String) {
        func padded(_ n: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        let version = padded(number)
        let table = "t_\(version)"
        var up = """
            CREATE TABLE \(table) (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL, price REAL, created TEXT);
            CREATE INDEX \(table)_name ON \(table) (name);
            INSERT INTO \(table) (id, name, qty, price, created) VALUES (1, 'alpha', 10, 1.5, '2024-01-01'), \
            (2, 'beta', 20, 2.5, '2024-01-02'), (3, 'gamma', 30, 3.5, '2024-01-03');

            """
        var down = "DROP INDEX \(table)_name;\nDROP TABLE \(table);\n"
        if number % 10 == 0 && number > 5 {
            let earlier = "t_\(padded(number - 5))"
            up += "ALTER TABLE \(earlier) ADD COLUMN extra_\(version) INTEGER;\n"
            down = "ALTER TABLE \(earlier) DROP COLUMN extra_\(version);\n" + down
        }
        return ("\(version)_create_\(table)", up, down)
    }

    /// Writes `count` migrations to a new temporary directory.
    static func write(count: Int) throws -> Workload {
        let directory = NSTemporaryDirectory() + "strata-bench-\(getpid())-\(count)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let width = max(3, String(count).count)
        for number in 1...count {
            let s = scripts(number, width: width)
            try s.up.write(toFile: "\(directory)/\(s.name).sql", atomically: false, encoding: .utf8)
            try s.down.write(toFile: "\(directory)/\(s.name).down.sql", atomically: false, encoding: .utf8)
        }
        return Workload(count: count, directory: directory)
    }
}
