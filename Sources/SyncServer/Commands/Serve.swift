import ArgumentParser
import Foundation
import Logging
import SyncPersistence

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the data directory and serve (the default command).",
        discussion: """
            Creates the data directory if it does not exist, opens the replica store in it \
            (applying schema migrations), and reports what it holds.

            Every option falls back to an environment variable, then to a default:
              --host       SYNC_HOST        127.0.0.1
              --port       SYNC_PORT        8080
              --data-dir   SYNC_DATA_DIR    ./sync-data
              --log-level  SYNC_LOG_LEVEL   info

            Serving the HTTP sync protocol is not part of this build: after preparing the \
            store, the command says so and exits with status 69 (EX_UNAVAILABLE).
            """
    )

    @Option(help: "Address to listen on (SYNC_HOST).")
    var host: String?

    @Option(help: "TCP port to listen on (SYNC_PORT).")
    var port: Int?

    @Option(help: "Directory for the database (SYNC_DATA_DIR).")
    var dataDir: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (SYNC_LOG_LEVEL).")
    var logLevel: String?

    func run() async throws {
        let settings = try ServerSettings(host: host, port: port, dataDirectory: dataDir, logLevel: logLevel)
        var logger = Logger(label: "sync-server")
        logger.logLevel = settings.logLevel

        try FileManager.default.createDirectory(atPath: settings.dataDirectory, withIntermediateDirectories: true)
        let databasePath = (settings.dataDirectory as NSString).appendingPathComponent("replica.sqlite")
        let store = try SQLiteReplicaStore(path: databasePath)
        let operations = try await store.operationCount()
        logger.info("data directory ready", metadata: [
            "dataDirectory": "\(settings.dataDirectory)", "database": "\(databasePath)", "operations": "\(operations)",
        ])
        logger.error("the HTTP sync interface is not part of this build; nothing is listening on \(settings.host):\(settings.port)")
        throw ExitCode(69)
    }
}
