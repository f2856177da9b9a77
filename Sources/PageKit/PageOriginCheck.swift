import Hummingbird
import Logging

/// Refuses a state-changing request that another site's page sent: when the
/// browser names the page's origin, it must be this server's own (the scheme
/// browsers use and the Host header).
///
/// A request without `Origin` is let through to the CSRF token check that
/// every form has: browsers send `Origin` on every POST, so only other
/// clients (curl, scripts) omit it, and those cannot be made to post by a page
/// on another site. `Origin: null` (sandboxed frames, some redirects) names no
/// site and is refused.
public struct PageOriginCheck<Context: RequestContext>: RouterMiddleware {
    /// `http`, or `https` when browsers reach the server over TLS.
    public let scheme: String

    public init(scheme: String) {
        self.scheme = scheme
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get, request.method != .head, let origin = request.headers[.origin] {
            guard let authority = request.head.authority,
                  Self.normalized(origin) == Self.normalized("\(scheme)://\(authority)")
            else {
                // Quoted and escaped (`debugDescription`): the header is anyone's text,
                // and the log may be a terminal.
                context.logger.notice("cross-origin request refused", metadata: ["origin": "\(origin.debugDescription)"])
                throw PageError.foreignOrigin
            }
        }
        return try await next(request, context)
    }

    /// Lower case, without the scheme's default port, which browsers leave out
    /// of `Origin` but a Host header may carry.
    public static func normalized(_ origin: String) -> String {
        var text = origin.lowercased()
        for suffix in ["http://": ":80", "https://": ":443"] where text.hasPrefix(suffix.key) && text.hasSuffix(suffix.value) {
            text.removeLast(suffix.value.count)
        }
        return text
    }
}

/// Refuses a request whose Host header is not one of the server's own names:
/// a page of another site whose name was made to resolve to 127.0.0.1 (DNS
/// rebinding) is then a different origin the browser lets it read, and only
/// the Host header gives it away.
public struct PageHostCheck<Context: RequestContext>: RouterMiddleware {
    /// The accepted `host:port` values, lower case; asked at each request,
    /// since a server on a free port learns its port only once it listens.
    public let acceptedHosts: @Sendable () -> Set<String>

    public init(acceptedHosts: @escaping @Sendable () -> Set<String>) {
        self.acceptedHosts = acceptedHosts
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authority = request.head.authority?.lowercased(), acceptedHosts().contains(authority) else {
            context.logger.notice("request for another host name refused", metadata: ["host": "\((request.head.authority ?? "").debugDescription)"])
            throw PageError.wrongHost
        }
        return try await next(request, context)
    }
}
