import Hummingbird

/// Browser pages that the server serves beside the sync API, under a path of
/// their own (the supervisors' review pages, target ReviewPages). They are
/// built on this library, so it cannot name them: `sync-server serve` hands
/// them to `buildApplication`, which mounts each one on the router.
public protocol WebFrontEnd: Sendable {
    /// The first path segment of everything it serves ("review"). A browser
    /// under it gets `unmatchedPage`, not a problem document, for a path no
    /// route answers.
    var pathPrefix: String { get }

    /// Adds its routes and middleware to the router, which already holds the
    /// metrics, logging and problem middleware every request passes.
    func addRoutes(to router: Router<SyncRequestContext>, server: WebFrontEndSupport)

    /// The page for a path under `pathPrefix` that no route answers (`allowed`
    /// is nil) or that other methods answer (`allowed` names them, read from
    /// the router: a 405 with `Allow`).
    func unmatchedPage(_ request: Request, allowed: [HTTPRequest.Method]?) -> Response
}

extension WebFrontEnd {
    /// Whether `path` (without its leading `/`) is under `pathPrefix`.
    func serves(_ path: String) -> Bool {
        path == pathPrefix || path.hasPrefix(pathPrefix + "/")
    }
}

/// What the server lends the web front ends it mounts.
public struct WebFrontEndSupport: Sendable {
    public let database: ServerDatabase
    /// Decides their cookies' `Secure` flag and the origin their forms must come from.
    public let transport: TransportSecurity
    /// The sign-in limits and their audit, one for every sign-in on the server
    /// (`POST /v1/devices` too), so that guesses count wherever they are made.
    public let signIn: SignInGuard
}
