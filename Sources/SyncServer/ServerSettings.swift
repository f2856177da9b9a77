import ArgumentParser
import Foundation
import Logging
import SyncService

/// `--data-dir`, shared by every command that acts on the server's data.
struct DataDirectoryOptions: ParsableArguments {
    @Option(help: "Directory holding the server database (SYNC_DATA_DIR; default ./sync-data).")
    var dataDir: String?

    var path: String {
        dataDir ?? ProcessInfo.processInfo.environment["SYNC_DATA_DIR"] ?? "sync-data"
    }

    var databasePath: String { (path as NSString).appendingPathComponent("server.sqlite") }

    /// Opens (and creates, if needed) the database, in a directory only the
    /// server's user may read (`DataDirectory`).
    func openDatabase(create: Bool, backgroundCheckpoints: Bool = false,
                      logger: Logger = Logger(label: "sync-server")) throws -> ServerDatabase {
        try DataDirectory.prepare(at: path, create: create, logger: logger)
        return try ServerDatabase(path: databasePath, backgroundCheckpoints: backgroundCheckpoints)
    }
}

/// The server's network and logging settings: each from its flag, else its
/// `SYNC_*` environment variable, else the default.
struct ServerSettings {
    var host: String
    var port: Int
    var logLevel: Logger.Level

    init(
        host: String?, port: Int?, logLevel: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.host = host ?? environment["SYNC_HOST"] ?? "127.0.0.1"
        if let port {
            self.port = port
        } else if let text = environment["SYNC_PORT"] {
            guard let value = Int(text) else { throw ValidationError("SYNC_PORT must be a port number, not '\(text)'") }
            self.port = value
        } else {
            self.port = 8080
        }
        guard (0...65535).contains(self.port) else { throw ValidationError("the port must be from 0 to 65535") }
        let levelName = logLevel ?? environment["SYNC_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("unknown log level '\(levelName)'; use trace, debug, info, notice, warning, error or critical")
        }
        self.logLevel = level
    }
}
