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
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already in the graph through Hummingbird and AsyncHTTPClient; named here
        // because the server's own transport code (TLS files, the request-head
        // timeout handler) uses them directly.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
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
        .target(
            name: "SyncTestSupport",
            dependencies: ["SyncCore", "SyncPersistence", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The server as a library: router, middleware, storage. The executable
        // is a thin command-line shell around it.
        .target(
            name: "SyncService",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                .product(name: "GRDB", package: "GRDB.swift"),
                // sqlite3_system_errno: whether an I/O error was a full disk (StorageFull).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Password checks run on a small thread pool of their own (PasswordVerifier).
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources/openapi.json"), .copy("Resources/Templates")]
        ),
        .executableTarget(
            name: "SyncServer",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                "SyncService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // statfs(2), which Swift's Glibc module leaves out: `field unlock`
        // checks that its key stays in a memory file system.
        .target(name: "CFileSystemType"),
        // The field client as a library: encrypted local replica, sync, views.
        .target(
            name: "FieldKit",
            dependencies: [
                "SyncCore",
                "CFileSystemType",
                "SyncPersistence",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // What both web front ends share: templates, security headers, CSRF,
        // forms, cookies, languages and Danish dates. Knows nothing of cases.
        .target(
            name: "PageKit",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The caseworker's web app on the laptop (`field app`): pages over FieldKit.
        .target(
            name: "FieldApp",
            dependencies: [
                "SyncCore",
                "FieldKit",
                "PageKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Catalogues")]
        ),
        .executableTarget(
            name: "FieldClient",
            dependencies: [
                "SyncCore",
                "FieldKit",
                "FieldApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
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
            name: "SyncServiceTests",
            dependencies: [
                "SyncCore",
                "SyncService",
                "SyncTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "FieldKitTests",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                "FieldKit",
                "SyncService",
                "SyncTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // Read from the source tree by the tests, not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "PageKitTests",
            dependencies: [
                "PageKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "FieldAppTests",
            dependencies: [
                "SyncCore",
                "FieldKit",
                "FieldApp",
                "PageKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
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
