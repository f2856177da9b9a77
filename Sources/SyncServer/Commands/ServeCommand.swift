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

    func run() async throws {
        let settings = try ServerSettings(host: host, port: port, logLevel: logLevel)
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
            configuration: ServerConfiguration(host: settings.host, port: settings.port, logLevel: level),
            database: database, services: [checkpointer], logger: logger)
        try await app.runService()
    }
}
