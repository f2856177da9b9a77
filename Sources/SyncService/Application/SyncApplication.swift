import Hummingbird
import Logging
import ServiceLifecycle
import SyncCore

/// Where and how the server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var signInLimits: SignInLimits

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info, signInLimits: SignInLimits = .standard
    ) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.signInLimits = signInLimits
    }
}

/// Every path the server answers, with its methods; any other method on these
/// paths is a 405 with an `Allow` header.
let endpoints: [(String, [HTTPRequest.Method])] = [
    ("health", [.get]), ("metrics", [.get]), ("openapi.json", [.get]), ("v1/devices", [.post]),
    ("v1/devices/current", [.delete]), ("v1/push", [.post]), ("v1/pull", [.get]), ("v1/conflicts", [.get]),
    ("v1/audit", [.get]),
] + ReviewPages.endpoints

/// Assembles the router: public routes, then everything under `/v1` behind the
/// device authenticator. Errors become problem documents; metrics see every
/// request with its final status. Both sign-ins share one limiter, on the
/// database's clock.
public func buildRouter(database: ServerDatabase, signInLimits: SignInLimits = .standard) -> Router<SyncRequestContext> {
    SyncMetrics.bootstrap()
    let router = Router(context: SyncRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.add(middleware: ProblemMiddleware())
    ServiceRoutes(database: database).addRoutes(to: router)
    let signIn = SignInGuard(database: database, limiter: SignInLimiter(limits: signInLimits, clock: database.clock))
    let devices = DeviceRoutes(database: database, signIn: signIn)
    devices.addPublicRoutes(to: router)
    let authenticated = router.group("v1").add(middleware: DeviceAuthenticator(database: database))
    devices.addAuthenticatedRoutes(to: authenticated)
    SyncRoutes(database: database).addRoutes(to: authenticated)
    ReviewRoutes(database: database).addRoutes(to: authenticated)
    ReviewPages(database: database, signIn: signIn).addRoutes(to: router)
    return router
}

public func buildApplication(
    configuration: ServerConfiguration, database: ServerDatabase, services: [any Service] = [], logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(database: database, signInLimits: configuration.signInLimits),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server"),
        services: services,
        logger: logger)
}
