import Hummingbird
import NIOCore

/// The supervisors' review pages under `/review` (Protocol.md §11): server-
/// rendered HTML for the conflict queue, settling conflicts, case timelines,
/// handovers and the access log. Every page needs a supervisor's or admin's
/// session; every form carries the session's CSRF token.
struct ReviewPages {
    let database: ServerDatabase
    let transport: TransportSecurity
    let signIn: SignInGuard

    func addRoutes(to router: Router<SyncRequestContext>) {
        let review = router.group("review").add(middleware: ReviewErrorMiddleware())
            .add(middleware: ReviewOriginCheck(scheme: transport.browserScheme))
        review.get("style.css") { _, _ in
            Response(status: .ok, headers: ReviewRenderer.pageHeaders(contentType: "text/css; charset=utf-8"),
                     body: ResponseBody(byteBuffer: ByteBuffer(string: ReviewRenderer.shared.stylesheet)))
        }
        ReviewSignInPages(database: database, secureCookies: transport.cookiesAreSecure, signIn: signIn).addRoutes(to: review)
        let signedIn = review.group().add(middleware: ReviewAuthenticator(database: database))
        signedIn.get { _, _ in ReviewRenderer.redirect(to: "/review/conflicts") }
        ReviewConflictPages(database: database).addRoutes(to: signedIn)
        ReviewCasePages(database: database).addRoutes(to: signedIn)
        ReviewAccessLogPages(database: database).addRoutes(to: signedIn)
    }
}

extension SyncRequestContext {
    /// The session `ReviewAuthenticator` admitted.
    func requireReviewSession() throws -> ReviewSession {
        guard let reviewSession else { throw ReviewPageError.notAllowed }
        return reviewSession
    }
}
