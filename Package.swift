// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "casework-sync",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sync-server", targets: ["SyncServer"]),
        .executable(name: "field", targets: ["FieldClient"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "SyncPersistence", targets: ["SyncPersistence"]),
        // Seeded randomness, manual clocks and history generators, shared by the
        // tests and by the separate Benchmarks package.
        .library(name: "SyncTestSupport", targets: ["SyncTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Pure merge engine: no I/O, no wall clock, no global state.
        .target(name: "SyncCore"),
        .target(
            name: "SyncPersistence",
            dependencies: [
                "SyncCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(name: "SyncTestSupport", dependencies: ["SyncCore"]),
        .executableTarget(
            name: "SyncServer",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "FieldClient",
            dependencies: [
                "SyncCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SyncCoreTests",
            dependencies: [
                "SyncCore",
                "SyncTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SyncPersistenceTests",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                "SyncTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
