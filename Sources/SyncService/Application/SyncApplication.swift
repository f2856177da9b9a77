import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import ServiceLifecycle
import SyncCore

/// Where and how the server runs.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    public var transport: TransportSecurity
    public var limits: ConnectionLimits
    /// Bytes of request bodies read and decoded at once (`BodyBudget`).
    public var bodyBudgetBytes: Int
    public var signInLimits: SignInLimits

    public init(
        host: String = "127.0.0.1", port: Int = 8080, logLevel: Logger.Level = .info,
        transport: TransportSecurity = .plainHTTP, limits: ConnectionLimits = ConnectionLimits(),
        bodyBudgetBytes: Int = BodyBudget.defaultCapacity, signInLimits: SignInLimits = .standard
    ) {
        self.host = host
        self.port = port
        self.logLevel = logLevel
        self.transport = transport
        self.limits = limits
        self.bodyBudgetBytes = bodyBudgetBytes
        self.signInLimits = signInLimits
    }
}

/// Assembles the router: public routes, everything under `/v1` behind the
/// device authenticator and the body budget, then each web front end under its
/// own path. Errors become problem documents (pages on a front end's paths);
/// metrics see every request with its final status. `transport` decides the
/// front ends' cookies and the origin their forms must come from. Every
/// sign-in shares one limiter, on the database's clock.
public func buildRouter(
    database: ServerDatabase, frontEnds: [any WebFrontEnd], transport: TransportSecurity = .plainHTTP,
    bodyBudget: BodyBudget = BodyBudget(), signInLimits: SignInLimits = .standard
) -> Router<SyncRequestContext> {
    SyncMetrics.bootstrap()
    let router = Router(context: SyncRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    let allowedMethods = AllowedMethods()
    router.add(middleware: ProblemMiddleware(allowedMethods: allowedMethods, frontEnds: frontEnds))
    ServiceRoutes(database: database).addRoutes(to: router)
    let signIn = SignInGuard(database: database, limiter: SignInLimiter(limits: signInLimits, clock: database.clock))
    let devices = DeviceRoutes(database: database, signIn: signIn)
    devices.addPublicRoutes(to: router)
    let authenticated = router.group("v1").add(middleware: DeviceAuthenticator(database: database))
        .add(middleware: BodyAdmissionMiddleware(budget: bodyBudget, unknownLengthCharge: RequestLimits.maximumBodyBytes))
    devices.addAuthenticatedRoutes(to: authenticated)
    SyncRoutes(database: database).addRoutes(to: authenticated)
    ReviewRoutes(database: database).addRoutes(to: authenticated)
    let support = WebFrontEndSupport(database: database, transport: transport, signIn: signIn)
    for frontEnd in frontEnds { frontEnd.addRoutes(to: router, server: support) }
    allowedMethods.record(router)
    return router
}

/// The server with its transport: TLS if configured, the request timeouts and
/// the connection limit, serving the sync API and `frontEnds`. Refuses plain
/// HTTP on an address other machines can reach, and certificate files it
/// cannot use.
public func buildApplication(
    configuration: ServerConfiguration, database: ServerDatabase, frontEnds: [any WebFrontEnd],
    services: [any Service] = [], logger: Logger
) throws(ServerStartRefusal) -> some ApplicationProtocol {
    try configuration.transport.check(host: configuration.host)
    let limits = configuration.limits
    let http1 = HTTPServerBuilder.http1(configuration: .init(
        additionalChannelHandlers: [RequestTimeoutHandler(
            headTimeout: limits.requestHeadTimeout.timeAmount, bodyTimeout: limits.requestBodyTimeout.timeAmount,
            stallTimeout: limits.responseStallTimeout.timeAmount, maximumPipelined: limits.maximumPipelinedRequests, logger: logger)],
        idleTimeout: limits.idleTimeout.timeAmount))
    let server: HTTPServerBuilder
    if let tls = try configuration.transport.serverTLSConfiguration() {
        do {
            server = try .tls(http1, tlsConfiguration: tls)
        } catch {
            throw ServerStartRefusal("cannot set up TLS: \(error)")
        }
    } else {
        server = http1
    }
    return Application(
        router: buildRouter(
            database: database, frontEnds: frontEnds, transport: configuration.transport,
            bodyBudget: BodyBudget(capacity: configuration.bodyBudgetBytes), signInLimits: configuration.signInLimits),
        server: server,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "sync-server",
            availableConnectionsDelegate: .maximum(limits.maximumConnections, logger: logger)),
        services: services,
        logger: logger)
}
