// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "casework-sync-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "casework-sync", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // ServerLoad: an HTTP load generator for a running sync-server.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.100.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Operation histories shared by the benchmarks, generated before measuring.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "SyncCore", package: "casework-sync"),
                .product(name: "SyncTestSupport", package: "casework-sync"),
            ]
        ),
        // End-to-end figures of the sync server over HTTP on 127.0.0.1 (a plain
        // executable, not an ordo-one benchmark): scripts/bench/server-benchmarks.
        .executableTarget(
            name: "ServerLoad",
            dependencies: [
                .product(name: "SyncCore", package: "casework-sync"),
                // SystemWallClock: the devices write with the machine's clock.
                .product(name: "SyncPersistence", package: "casework-sync"),
                .product(name: "SyncTestSupport", package: "casework-sync"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)

for name in ["InMemoryApply", "TwoReplicaMerge", "SQLiteApply"] {
    package.targets.append(
        .executableTarget(
            name: name,
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SyncCore", package: "casework-sync"),
                .product(name: "SyncPersistence", package: "casework-sync"),
                .product(name: "SyncTestSupport", package: "casework-sync"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
