import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SyncService

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the sync protocol over HTTP (the default command).",
        discussion: """
            Creates the data directory if it does not exist (and prints where it is), opens \
            the database in it, and serves the sync protocol of Protocol.md until it \
            receives SIGTERM or SIGINT. On either signal it stops accepting connections, \
            finishes the requests in flight, and exits.

            Every option falls back to an environment variable, then to a default:
              --host       SYNC_HOST        127.0.0.1
              --port       SYNC_PORT        8080 (0 picks a free port)
              --data-dir   SYNC_DATA_DIR    ./sync-data
              --log-level  SYNC_LOG_LEVEL   info
              --sign-in-failures-per-address  SYNC_SIGN_IN_FAILURES_PER_ADDRESS  20
              --trust-forwarded-for           SYNC_TRUST_FORWARDED_FOR           off

            Sign-in is limited (Protocol.md §10.2): after 5 failed sign-ins under one user \
            name, each further attempt waits 1 s, doubling to 5 minutes, until one succeeds; \
            an address with 20 failures in ten minutes waits until the oldest is ten minutes \
            old. Refusals are 429 with Retry-After and the audit action login-throttled. Behind \
            a proxy every connection comes from the proxy's address: pass --trust-forwarded-for \
            if it appends the client's address to X-Forwarded-For, otherwise raise or disable \
            the per-address limit.

            Endpoints: /health, /metrics (Prometheus), /openapi.json, and /v1/... for devices.
            """
    )

    @Option(help: "Address to listen on (SYNC_HOST).")
    var host: String?

    @Option(help: "TCP port to listen on (SYNC_PORT).")
    var port: Int?

    @OptionGroup var data: DataDirectoryOptions

    @Option(help: "trace, debug, info, notice, warning, error or critical (SYNC_LOG_LEVEL).")
    var logLevel: String?

    @OptionGroup var signIn: SignInOptions

    func run() async throws {
        let settings = try ServerSettings(host: host, port: port, logLevel: logLevel)
        let signInLimits = try signIn.limits()
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sync-server")
        let database = try data.openDatabase(create: true, backgroundCheckpoints: true)
        let checkpointer = try WALCheckpointer(database: database, databasePath: data.databasePath, logger: logger)
        let dataDirectory = URL(fileURLWithPath: data.path).standardizedFileURL.path
        let operations = try await database.operationCount()
        logger.notice("data directory ready", metadata: ["dataDirectory": "\(dataDirectory)", "operations": "\(operations)"])
        try await SyncMetrics.prime(from: database)
        let app = buildApplication(
            configuration: ServerConfiguration(host: settings.host, port: settings.port, logLevel: level, signInLimits: signInLimits),
            database: database, services: [checkpointer], logger: logger)
        try await app.runService()
    }
}
