// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "casework-sync-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "casework-sync", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
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
