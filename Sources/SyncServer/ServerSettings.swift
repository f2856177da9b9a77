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
        do {
            return try ServerDatabase(path: databasePath, backgroundCheckpoints: backgroundCheckpoints, logger: logger)
        } catch {
            if let refusal = StorageFull.startRefusal(error, directory: path) { throw refusal }
            throw error
        }
    }
}

/// The server's network, transport and logging settings: each from its flag,
/// else its `SYNC_*` environment variable, else the default.
struct ServerSettings {
    var host: String
    var port: Int
    var logLevel: Logger.Level
    var transport: TransportSecurity
    var limits: ConnectionLimits
    var bodyBudgetBytes: Int

    struct Flags {
        var host: String?
        var port: Int?
        var logLevel: String?
        var tlsCert: String?
        var tlsKey: String?
        var behindTLSProxy = false
        var requestHeadTimeout: Int?
        var requestBodyTimeout: Int?
        var idleTimeout: Int?
        var maxConnections: Int?
        var bodyBudget: Int?
    }

    init(_ flags: Flags, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        host = flags.host ?? environment["SYNC_HOST"] ?? "127.0.0.1"
        port = try Self.integer(flags.port, environment, "SYNC_PORT", default: 8080, in: 0...65535, what: "a port number")
        let levelName = flags.logLevel ?? environment["SYNC_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else {
            throw ValidationError("unknown log level '\(levelName)'; use trace, debug, info, notice, warning, error or critical")
        }
        logLevel = level

        let certificate = flags.tlsCert ?? environment["SYNC_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        let key = flags.tlsKey ?? environment["SYNC_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        let behindProxy = try flags.behindTLSProxy || Self.boolean(environment["SYNC_BEHIND_TLS_PROXY"], "SYNC_BEHIND_TLS_PROXY")
        switch (certificate, key) {
        case (let certificate?, let key?):
            guard !behindProxy else {
                throw ValidationError("pass either --tls-cert and --tls-key or --behind-tls-proxy, not both")
            }
            transport = .tls(certificatePath: certificate, keyPath: key)
        case (nil, nil):
            transport = behindProxy ? .behindTLSProxy : .plainHTTP
        default:
            throw ValidationError("--tls-cert and --tls-key (SYNC_TLS_CERT, SYNC_TLS_KEY) go together: pass both or neither")
        }
        try transport.check(host: host)

        let seconds = 1...86_400
        limits = ConnectionLimits(
            requestHeadTimeout: .seconds(try Self.integer(flags.requestHeadTimeout, environment, "SYNC_REQUEST_HEAD_TIMEOUT",
                                                          default: 30, in: seconds, what: "a number of seconds")),
            requestBodyTimeout: .seconds(try Self.integer(flags.requestBodyTimeout, environment, "SYNC_REQUEST_BODY_TIMEOUT",
                                                          default: 300, in: seconds, what: "a number of seconds")),
            idleTimeout: .seconds(try Self.integer(flags.idleTimeout, environment, "SYNC_IDLE_TIMEOUT",
                                                   default: 60, in: seconds, what: "a number of seconds")),
            maximumConnections: try Self.integer(flags.maxConnections, environment, "SYNC_MAX_CONNECTIONS",
                                                 default: 1024, in: 1...1_000_000, what: "a number of connections"))
        bodyBudgetBytes = try Self.integer(flags.bodyBudget, environment, "SYNC_BODY_BUDGET",
                                           default: BodyBudget.defaultCapacity / 1024 / 1024, in: 1...65_536,
                                           what: "a number of MiB") * 1024 * 1024
    }

    private static func integer(
        _ flag: Int?, _ environment: [String: String], _ variable: String, default value: Int, in range: ClosedRange<Int>,
        what: String
    ) throws -> Int {
        let chosen: Int
        if let flag {
            chosen = flag
        } else if let text = environment[variable] {
            guard let parsed = Int(text) else { throw ValidationError("\(variable) must be \(what), not '\(text)'") }
            chosen = parsed
        } else {
            chosen = value
        }
        guard range.contains(chosen) else {
            throw ValidationError("\(variable.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")) must be from \(range.lowerBound) to \(range.upperBound)")
        }
        return chosen
    }

    private static func boolean(_ text: String?, _ variable: String) throws -> Bool {
        switch text?.lowercased() {
        case nil, "", "0", "false", "no": false
        case "1", "true", "yes": true
        case let other?: throw ValidationError("\(variable) must be 1 or 0, not '\(other)'")
        }
    }
}
