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
        // The operation log in SQLite, one for both ends: the server's database
        // and the laptop's replica store operations the same way.
        .target(
            name: "SyncPersistence",
            dependencies: [
                "SyncCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // Seeded randomness, a manual clock, history generators and the real
        // server as a process, for the tests and the Benchmarks package.
        .target(
            name: "SyncTestSupport",
            dependencies: ["SyncCore", "SyncPersistence", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The server as a library: storage, the /v1 sync API, middleware and the
        // application assembly, which mounts the web front ends it is given
        // (`WebFrontEnd`). The executable is a thin command-line shell around it.
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
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Password checks run on a small thread pool of their own (PasswordVerifier).
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            resources: [.copy("Resources/openapi.json")]
        ),
        // The supervisors' review pages under /review (Protocol.md §11), a web
        // front end of their own beside the sync API, with their templates and
        // stylesheet. They depend on SyncService (the database, the request
        // context, the sign-in guard shared with /v1/devices), which cannot
        // name them: `serve` hands them to its router.
        .target(
            name: "ReviewPages",
            dependencies: [
                "PageKit",
                "SyncCore",
                "SyncService",
                "PageKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Resources/Templates"), .copy("Resources/Catalogues")]
        ),
        // The `sync-server` command: serve (the sync API with the review pages
        // mounted) and the user and device administration.
        .executableTarget(
            name: "SyncServer",
            dependencies: [
                "SyncCore",
                "SyncPersistence",
                "SyncService",
                "ReviewPages",
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
        // The `field` command a caseworker runs on the laptop.
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
        // The merge engine: properties over generated histories, rules, codec.
        .testTarget(
            name: "SyncCoreTests",
            dependencies: [
                "SyncCore",
                "SyncTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")]
        ),
        // The server: routes (the review pages' too), storage, transport and
        // the real process.
        .testTarget(
            name: "SyncServiceTests",
            dependencies: [
                "SyncCore",
                "SyncService",
                // The route tests drive the server as `serve` assembles it, review pages included.
                "ReviewPages",
                "PageKit",
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
        // The laptop's replica, vault and sync, against a real server.
        .testTarget(
            name: "FieldKitTests",
            dependencies: [
                "SyncCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
                "SyncPersistence",
                "FieldKit",
                "SyncService",
                // The laptops' tests sync with the server `serve` assembles.
                "ReviewPages",
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
        // PageKit on its own: languages, dates, headers, CSRF, cookies.
        .testTarget(
            name: "PageKitTests",
            dependencies: [
                "PageKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        // The caseworker's app over real HTTP on a temporary laptop, and `field app` as a process.
        .testTarget(
            name: "FieldAppTests",
            dependencies: [
                "SyncCore",
                "FieldKit",
                "FieldApp",
                "PageKit",
                // The sync page's tests sync with the server `serve` assembles.
                "SyncService",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The operation log against the in-memory reference (`ReplicaState`),
        // its fold and its durable connection pool.
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
