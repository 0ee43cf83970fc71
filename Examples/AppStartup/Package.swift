// swift-tools-version:6.1
// An application that brings its SQLite database up to date when it starts, with Strata.
// It depends on this repository by path, and on the SQLite products only: PostgresNIO is never built.
import PackageDescription

let strata: [Target.Dependency] = ["Strata", "StrataSQLite"].map { .product(name: $0, package: "Strata") }

let package = Package(
    name: "AppStartup",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Strata", path: "../..")],
    targets: [.executableTarget(name: "AppStartup", dependencies: strata, resources: [.copy("Migrations")])],
    swiftLanguageModes: [.v6]
)
