// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Strata",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Strata", targets: ["Strata"]),
        .library(name: "StrataSQLite", targets: ["StrataSQLite"]),
        .library(name: "StrataPostgres", targets: ["StrataPostgres"]),
        .library(name: "StrataDriverTesting", targets: ["StrataDriverTesting"]),
        .executable(name: "strata", targets: ["StrataTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Pure core: model, sources, parsing, planning, running, errors. No database code.
        .target(
            name: "Strata",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The one SQLite call Swift cannot make (variadic `sqlite3_config`).
        .target(name: "CStrataSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite driver on GRDB and the system libsqlite3.
        .target(
            name: "StrataSQLite",
            dependencies: [
                "Strata",
                "CStrataSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // PostgreSQL driver on PostgresNIO (one PostgresConnection per run).
        .target(
            name: "StrataPostgres",
            dependencies: [
                "Strata",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The checks every driver must pass.
        .target(name: "StrataDriverTesting", dependencies: ["Strata"]),
        // Command-line layer: parses arguments, calls the library, renders events.
        .target(
            name: "StrataCLI",
            dependencies: [
                "Strata",
                "StrataSQLite",
                "StrataPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "StrataTool", dependencies: ["StrataCLI"]),
        .testTarget(name: "StrataTests", dependencies: ["Strata"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "StrataSQLiteTests",
            dependencies: ["Strata", "StrataSQLite", "StrataDriverTesting",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        // A throwaway PostgreSQL server shared by the test targets of one test process.
        .target(name: "PostgresTestServer", dependencies: ["StrataPostgres"], path: "Tests/PostgresTestServer"),
        .testTarget(
            name: "StrataPostgresTests",
            dependencies: ["Strata", "StrataPostgres", "StrataDriverTesting", "PostgresTestServer",
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "StrataCLITests",
            dependencies: ["StrataCLI", "StrataTool", "PostgresTestServer",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
