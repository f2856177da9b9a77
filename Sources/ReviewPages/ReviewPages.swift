import Hummingbird
import PageKit
import SyncService

/// The supervisors' review pages under `/review` (Protocol.md §11): server-
/// rendered HTML for the conflict queue, settling conflicts, case timelines,
/// handovers and the access log. Every page needs a supervisor's or admin's
/// session; every form carries the session's CSRF token. `sync-server serve`
/// mounts them beside the sync API.
public struct ReviewPages: WebFrontEnd {
    public init() {}

    public var pathPrefix: String { "review" }

    public func addRoutes(to router: Router<SyncRequestContext>, server: WebFrontEndSupport) {
        let database = server.database, transport = server.transport, signIn = server.signIn
        let review = router.group("review").add(middleware: ReviewErrorMiddleware())
            .add(middleware: PageOriginCheck<SyncRequestContext>(scheme: transport.browserScheme))
        review.get("style.css") { _, _ in ReviewRenderer.shared.stylesheet("review.css") }
        ReviewSignInPages(database: database, secureCookies: transport.cookiesAreSecure, signIn: signIn).addRoutes(to: review)
        let signedIn = review.group().add(middleware: ReviewAuthenticator(database: database))
        signedIn.get { _, _ in PageHeaders.redirect(to: "/review/conflicts") }
        ReviewConflictPages(database: database).addRoutes(to: signedIn)
        ReviewCasePages(database: database).addRoutes(to: signedIn)
        ReviewAccessLogPages(database: database).addRoutes(to: signedIn)
    }

    public func unmatchedPage(_ request: Request, allowed: [HTTPRequest.Method]?) -> Response {
        ReviewErrorMiddleware.unmatchedPage(request, allowed: allowed)
    }
}

extension SyncRequestContext {
    /// The session `ReviewAuthenticator` admitted.
    func requireReviewSession() throws -> ReviewSession {
        guard let reviewSession else { throw ReviewPageError.notAllowed }
        return reviewSession
    }
}
