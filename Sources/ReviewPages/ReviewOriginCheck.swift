import Hummingbird
import SyncService

/// Refuses a state-changing request to the review pages that another site's
/// page sent: when the browser names the page's origin, it must be this
/// server's own (the scheme browsers use and the Host header).
///
/// A request without `Origin` is let through to the CSRF token check that
/// every review form already has: browsers send `Origin` on every POST, so
/// only other clients (curl in the demo, scripts) omit it, and those cannot
/// be made to post by a page on another site. `Origin: null` (sandboxed
/// frames, some redirects) names no site and is refused.
struct ReviewOriginCheck: RouterMiddleware {
    typealias Context = SyncRequestContext
    /// `http`, or `https` when browsers reach the server over TLS (its own or a proxy's).
    let scheme: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method != .get, request.method != .head, let origin = request.headers[.origin] {
            guard let authority = request.head.authority,
                  Self.normalized(origin) == Self.normalized("\(scheme)://\(authority)")
            else {
                context.logger.notice("cross-origin request to the review pages refused", metadata: ["origin": "\(origin)"])
                throw ReviewPageError.foreignOrigin
            }
        }
        return try await next(request, context)
    }

    /// Lower case, without the scheme's default port, which browsers leave out
    /// of `Origin` but a Host header may carry.
    static func normalized(_ origin: String) -> String {
        var text = origin.lowercased()
        for suffix in ["http://" : ":80", "https://" : ":443"] where text.hasPrefix(suffix.key) && text.hasSuffix(suffix.value) {
            text.removeLast(suffix.value.count)
        }
        return text
    }
}

extension ReviewPageError {
    static let foreignOrigin = ReviewPageError(
        status: .forbidden, heading: "Sent from another site",
        message: "This form was sent from a page that is not part of this server. Open the review pages directly and send it from there.")
}
