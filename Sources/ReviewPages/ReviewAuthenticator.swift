import Hummingbird
import PageKit
import SyncService

/// Admits a request to the signed-in review pages: a valid session cookie of a
/// supervisor or admin. Without one, a GET is sent to the sign-in page and
/// anything else is refused.
struct ReviewAuthenticator: RouterMiddleware {
    typealias Context = SyncRequestContext
    let database: ServerDatabase

    static let cookieName = "review_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let cookie = request.cookies[Self.cookieName]?.value, !cookie.isEmpty, cookie.count <= 100,
              let session = try await database.reviewSession(cookie: cookie)
        else {
            if request.method == .get || request.method == .head {
                return PageHeaders.redirect(to: "/review/sign-in")
            }
            throw ReviewPageError(status: .unauthorized, heading: "Signed out",
                                  message: "Your session has ended. Sign in again at /review/sign-in.")
        }
        var context = context
        context.reviewSession = session
        context.logger[metadataKey: "user"] = "\(session.user)"
        return try await next(request, context)
    }
}
