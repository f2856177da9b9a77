import Foundation
import Hummingbird
import PageKit
import SyncService

/// Sign-in and sign-out of the review pages.
///
/// The sign-in form has no session yet, so it is protected from cross-site
/// posting (login CSRF) by a double-submit token: a random value in a
/// SameSite=Strict cookie and the same value in the form.
struct ReviewSignInPages {
    let database: ServerDatabase
    /// Whether browsers reach the server over TLS (`TransportSecurity.cookiesAreSecure`).
    let secureCookies: Bool
    let signIn: SignInGuard

    static let signInTokenCookie = "review_signin"

    struct SignInPage: Sendable {
        let chrome: PageChrome
        let csrf: String
        let user: String
        let error: String?
    }

    struct SignInForm: Decodable, Sendable {
        let csrf: String?
        let user: String?
        let password: String?
    }

    struct SignOutForm: ReviewFormBody {
        let csrf: String?
    }

    func addRoutes(to review: RouterGroup<SyncRequestContext>) {
        review.get("sign-in") { _, _ in
            signInPage(user: "", error: nil, status: .ok)
        }
        review.post("sign-in") { request, context in
            // Anyone may post here, so the form is read only up to what a name
            // and a password need, not the 2 MiB of a signed-in form.
            let form = try await ReviewForm.decodeUnchecked(SignInForm.self, from: request, limit: Self.maximumSignInBytes)
            guard let expected = request.cookies[Self.signInTokenCookie]?.value, let sent = form.csrf,
                  ConstantTime.equals(expected.utf8, sent.utf8)
            else { throw ReviewPageError.csrfRefused }
            let user = form.user.nonBlank ?? ""
            guard !user.isEmpty, user.count <= 64, let password = form.password, !password.isEmpty, password.count <= 1024 else {
                return signInPage(user: String(user.prefix(64)), error: "Enter your user name and password.", status: .badRequest)
            }
            let outcome: ServerDatabase.ReviewSignIn
            do {
                outcome = try await signIn.attempt(user: user, source: signIn.source(of: request, context: context), via: "review") {
                    try await database.signInToReview(user: user, password: password)
                } failed: { if case .invalidCredentials = $0 { true } else { false } }
            } catch let refusal as SignInRefusal {
                return refusedPage(refusal, user: user)
            }
            switch outcome {
            case .invalidCredentials:
                return signInPage(user: user, error: "The user name or password is wrong.", status: .unauthorized)
            case .roleNotAllowed:
                throw ReviewPageError.notAllowed
            case .signedIn(let cookie, _):
                var response = ReviewRenderer.redirect(to: "/review/conflicts")
                response.setCookie(sessionCookie(cookie, maxAge: ServerDatabase.reviewSessionLifetimeSeconds))
                response.setCookie(signInTokenCookie(""))
                return response
            }
        }
        review.post("sign-out") { request, _ in
            guard let cookie = request.cookies[ReviewAuthenticator.cookieName]?.value,
                  let session = try await database.reviewSession(cookie: cookie)
            else { return ReviewRenderer.redirect(to: "/review/sign-in") }
            _ = try await ReviewForm.decode(SignOutForm.self, from: request, session: session)
            try await database.signOutOfReview(cookie: cookie)
            var response = ReviewRenderer.redirect(to: "/review/sign-in")
            response.setCookie(sessionCookie("", maxAge: 0))
            return response
        }
    }

    /// The form again, with why it was refused in both languages: the people
    /// signing in here read Danish first, the operators who read the logs
    /// English.
    private func refusedPage(_ refusal: SignInRefusal, user: String) -> Response {
        var response = switch refusal {
        case .throttled(let seconds, _):
            signInPage(
                user: user,
                error: "For mange forkerte forsøg. Prøv igen om \(Self.wait(seconds, danish: true)). "
                    + "Too many failed attempts. Try again in \(Self.wait(seconds, danish: false)).",
                status: .tooManyRequests)
        case .busy:
            signInPage(
                user: user,
                error: "Serveren er optaget lige nu. Prøv igen om et øjeblik. "
                    + "The server is busy right now. Try again in a moment.",
                status: .serviceUnavailable)
        }
        response.headers[.retryAfter] = String(refusal.retryAfterSeconds)
        return response
    }

    static func wait(_ seconds: Int, danish: Bool) -> String {
        if seconds == 1 { return danish ? "1 sekund" : "1 second" }
        if seconds < 60 { return danish ? "\(seconds) sekunder" : "\(seconds) seconds" }
        let minutes = (seconds + 59) / 60
        return danish ? (minutes == 1 ? "1 minut" : "\(minutes) minutter") : (minutes == 1 ? "1 minute" : "\(minutes) minutes")
    }

    private func signInPage(user: String, error: String?, status: HTTPResponse.Status) -> Response {
        let token = RandomSecret.generate()
        var response = ReviewRenderer.shared.page(
            "sign-in", SignInPage(chrome: PageChrome("Sign in", session: nil), csrf: token, user: user, error: error), status: status)
        response.setCookie(signInTokenCookie(token))
        return response
    }

    static let maximumSignInBytes = 16 * 1024

    /// HttpOnly (no script reads it), SameSite=Strict (no other site's page
    /// sends it), Path=/review (the JSON API never sees it), expiring with the
    /// session. Secure whenever browsers reach the server over TLS (its own or
    /// a proxy's), so the cookie never travels in clear; not on plain HTTP on
    /// loopback, where a browser would drop a Secure cookie set over http
    /// (except on localhost) and sign-in would be impossible.
    func sessionCookie(_ value: String, maxAge: Int) -> Cookie {
        Cookie(name: ReviewAuthenticator.cookieName, value: value, maxAge: maxAge, path: "/review",
               secure: secureCookies, httpOnly: true, sameSite: .strict)
    }

    func signInTokenCookie(_ value: String) -> Cookie {
        Cookie(name: Self.signInTokenCookie, value: value, maxAge: value.isEmpty ? 0 : 3600, path: "/review/sign-in",
               secure: secureCookies, httpOnly: true, sameSite: .strict)
    }
}
