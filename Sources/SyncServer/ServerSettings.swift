import ArgumentParser
import Foundation
import Logging

/// The server's configuration: each value from its flag, else its `SYNC_*`
/// environment variable, else the default.
struct ServerSettings {
    var host: String
    var port: Int
    var dataDirectory: String
    var logLevel: Logger.Level

    init(
        host: String?, port: Int?, dataDirectory: String?, logLevel: String?,
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
        guard (1...65535).contains(self.port) else { throw ValidationError("the port must be from 1 to 65535") }
        self.dataDirectory = dataDirectory ?? environment["SYNC_DATA_DIR"] ?? "sync-data"
        let levelName = logLevel ?? environment["SYNC_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("unknown log level '\(levelName)'; use trace, debug, info, notice, warning, error or critical")
        }
        self.logLevel = level
    }
}
