import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ReviewPages
import SyncService

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the sync protocol over HTTP or HTTPS (the default command).",
        discussion: """
            Creates the data directory if it does not exist (and prints where it is), opens \
            the database in it, and serves the sync protocol of Protocol.md until it \
            receives SIGTERM or SIGINT. On either signal it stops accepting connections, \
            finishes the requests in flight, and exits.

            Plain HTTP is served on a loopback address only. On any other address the \
            server needs a certificate (--tls-cert, --tls-key: PEM files) and serves HTTPS, \
            or --behind-tls-proxy when a proxy on the way terminates TLS.

            Every option falls back to an environment variable, then to a default:
              --host                  SYNC_HOST                  127.0.0.1
              --port                  SYNC_PORT                  8080 (0 picks a free port)
              --data-dir              SYNC_DATA_DIR              ./sync-data
              --log-level             SYNC_LOG_LEVEL             info
              --tls-cert, --tls-key   SYNC_TLS_CERT, SYNC_TLS_KEY   none (plain HTTP)
              --behind-tls-proxy      SYNC_BEHIND_TLS_PROXY=1    off
              --request-head-timeout  SYNC_REQUEST_HEAD_TIMEOUT  30 s
              --request-body-timeout  SYNC_REQUEST_BODY_TIMEOUT  300 s
              --idle-timeout          SYNC_IDLE_TIMEOUT          60 s
              --max-connections       SYNC_MAX_CONNECTIONS       1024
              --body-budget           SYNC_BODY_BUDGET           32 MiB
              --sign-in-failures-per-address  SYNC_SIGN_IN_FAILURES_PER_ADDRESS  20
              --trust-forwarded-for           SYNC_TRUST_FORWARDED_FOR           off

            Sign-in is limited (Protocol.md §10.2): after 5 failed sign-ins under one user \
            name from one source, each further attempt from there waits 1 s, doubling to 5 \
            minutes, until one succeeds; a name with 300 failures in an hour from everywhere \
            waits until the oldest is an hour old; an address (IPv6: its /64) with 20 failures \
            in ten minutes waits until the oldest is ten minutes old. Refusals are 429 with Retry-After and the audit action login-throttled. Behind \
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

    @Option(help: "PEM certificate chain to serve HTTPS with (SYNC_TLS_CERT).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert, unencrypted (SYNC_TLS_KEY).")
    var tlsKey: String?

    @Flag(help: "Serve plain HTTP on any address: a proxy in front terminates TLS (SYNC_BEHIND_TLS_PROXY=1).")
    var behindTLSProxy = false

    @Option(help: "Seconds a connection has to send a whole request head (SYNC_REQUEST_HEAD_TIMEOUT).")
    var requestHeadTimeout: Int?

    @Option(help: "Seconds a request has to send its whole body after its head (SYNC_REQUEST_BODY_TIMEOUT).")
    var requestBodyTimeout: Int?

    @Option(help: "Seconds a connection may stay silent while sending a request (SYNC_IDLE_TIMEOUT).")
    var idleTimeout: Int?

    @Option(help: "Connections served at once; more wait to be accepted (SYNC_MAX_CONNECTIONS).")
    var maxConnections: Int?

    @Option(help: "MiB of request bodies read and decoded at once; more wait, then get 503 (SYNC_BODY_BUDGET).")
    var bodyBudget: Int?

    @OptionGroup var signIn: SignInOptions

    func run() async throws {
        let signInLimits = try signIn.limits()
        let settings = try ServerSettings(.init(
            host: host, port: port, logLevel: logLevel, tlsCert: tlsCert, tlsKey: tlsKey, behindTLSProxy: behindTLSProxy,
            requestHeadTimeout: requestHeadTimeout, requestBodyTimeout: requestBodyTimeout, idleTimeout: idleTimeout,
            maxConnections: maxConnections, bodyBudget: bodyBudget))
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sync-server")
        let openFiles = try settings.limits.ensureFileDescriptors()
        let database = try data.openDatabase(create: true, backgroundCheckpoints: true, logger: logger)
        let checkpointer = try WALCheckpointer(database: database, databasePath: data.databasePath, logger: logger)
        let dataDirectory = URL(fileURLWithPath: data.path).standardizedFileURL.path
        let operations = try await database.operationCount()
        logger.notice("data directory ready", metadata: ["dataDirectory": "\(dataDirectory)", "operations": "\(operations)"])
        let endedSessions = try await database.endReviewSessions()
        if endedSessions > 0 {
            logger.notice("review sessions ended at start: supervisors sign in again", metadata: ["sessions": "\(endedSessions)"])
        }
        try await SyncMetrics.prime(from: database)
        let app = try buildApplication(
            configuration: ServerConfiguration(
                host: settings.host, port: settings.port, logLevel: level, transport: settings.transport,
                limits: settings.limits, bodyBudgetBytes: settings.bodyBudgetBytes, signInLimits: signInLimits),
            database: database, frontEnds: [ReviewPages()], services: [checkpointer], logger: logger)
        let metadata: Logger.Metadata = [
            "host": "\(settings.host)", "maxConnections": "\(settings.limits.maximumConnections)", "openFiles": "\(openFiles)",
        ]
        switch settings.transport {
        case .tls:
            logger.notice("serving HTTPS", metadata: metadata)
        case .behindTLSProxy:
            logger.warning(
                "serving plain HTTP on the word of --behind-tls-proxy: a proxy in front must terminate TLS, and nothing may reach this port any other way",
                metadata: metadata)
        case .plainHTTP:
            logger.notice("serving plain HTTP on loopback", metadata: metadata)
        }
        try await app.runService()
    }
}
