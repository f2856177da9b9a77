import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PageKit
@testable import ReviewPages
@testable import SyncService
import Testing

/// Plain HTTP only on loopback, Secure cookies over TLS, and review forms
/// refused when another site's page sends them.
@Suite struct TransportSecurityTests {
    @Test(arguments: ["0.0.0.0", "::", "192.168.1.20", "[::]", "sync.kommune.dk"])
    func plainHTTPOnAnAddressOthersCanReachIsRefused(host: String) throws {
        let refusal = #expect(throws: ServerStartRefusal.self) { try TransportSecurity.plainHTTP.check(host: host) }
        #expect(refusal?.description.contains("--tls-cert") == true)
        #expect(refusal?.description.contains("--behind-tls-proxy") == true)
        #expect(refusal?.description.contains("\n") == false, "one line")
        try TransportSecurity.behindTLSProxy.check(host: host)
        try TransportSecurity.tls(certificatePath: "c.pem", keyPath: "k.pem").check(host: host)
    }

    @Test(arguments: ["127.0.0.1", "127.8.9.10", "localhost", "::1", "[::1]"])
    func plainHTTPOnLoopbackIsAllowed(host: String) throws {
        try TransportSecurity.plainHTTP.check(host: host)
    }

    @Test func unreadableCertificateFilesAreRefusedAtStart() throws {
        let missing = TransportSecurity.tls(certificatePath: "/nonexistent/cert.pem", keyPath: "/nonexistent/key.pem")
        let refusal = #expect(throws: ServerStartRefusal.self) { try missing.serverTLSConfiguration() }
        #expect(refusal?.description.contains("/nonexistent/cert.pem") == true)
    }

    @Test func theSessionCookieIsSecureBehindATLSProxyAndNotOnPlainLoopback() async throws {
        let harness = try await ServerHarness.make()
        for (transport, secure) in [(TransportSecurity.behindTLSProxy, true), (.plainHTTP, false)] {
            try await harness.test(transport: transport) { client in
                var browser = ReviewBrowser(origin: transport.browserScheme + "://localhost")
                let form = try await browser.get("/review/sign-in", via: client)
                let token = try #require(form.setCookies.first { $0.hasPrefix("review_signin=") })
                #expect(token.contains("; Secure") == secure, "\(transport): \(token)")
                let signedIn = try await browser.signIn("dorte", via: client)
                #expect(signedIn.status == .seeOther)
                let session = try #require(signedIn.setCookies.first { $0.hasPrefix("review_session=") })
                #expect(session.contains("; Secure") == secure, "\(transport): \(session)")
                #expect(session.contains("HttpOnly") && session.contains("SameSite=Strict"))
            }
        }
    }

    /// Anyone may post the sign-in form, so it is read up to 16 KiB, not the
    /// 2 MiB of a signed-in form.
    @Test func theSignInFormIsReadUpTo16KiB() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser()
            let form = try await browser.get("/review/sign-in", via: client)
            let token = try #require(form.csrf)
            let large = try await browser.post(
                "/review/sign-in", form: [("csrf", token), ("user", "dorte"), ("password", String(repeating: "x", count: 20 * 1024))],
                via: client)
            #expect(large.status == .contentTooLarge)
            #expect(browser.cookies[ReviewAuthenticator.cookieName] == nil)
        }
    }

    /// Under `no-referrer` Chromium sends `Origin: null` with the page's own
    /// forms (the browser test found it), and the origin check refuses that.
    @Test func reviewPagesLetBrowsersNameTheirOriginToTheServerOnly() {
        let headers = PageHeaders.secured(contentType: "text/html; charset=utf-8")
        #expect(headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
    }

    @Test func aFormPostedFromAnotherSiteIsRefusedBeforeItsTokenIsLookedAt() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var browser = ReviewBrowser(origin: "http://localhost")
            try await browser.signIn("dorte", via: client)
            let queue = try await browser.get("/review/conflicts", via: client)
            let token = try #require(queue.csrf)

            // The right token does not help a page of another origin, nor one
            // that hides its origin, nor https for a server browsers reach over http.
            for foreign in ["https://evil.example", "null", "https://localhost", "http://localhost:8081"] {
                var attacker = browser
                attacker.origin = foreign
                let refused = try await attacker.post("/review/sign-out", form: [("csrf", token)], via: client)
                #expect(refused.status == .forbidden, "Origin: \(foreign)")
                #expect(refused.html.contains("Sent from another site"))
            }
            var crossSiteSignIn = ReviewBrowser(origin: "https://evil.example")
            let form = try await crossSiteSignIn.get("/review/sign-in", via: client)
            let signInToken = try #require(form.csrf)
            let loginCSRF = try await crossSiteSignIn.post(
                "/review/sign-in", form: [("csrf", signInToken), ("user", "dorte"), ("password", ServerHarness.password)], via: client)
            #expect(loginCSRF.status == .forbidden)
            #expect(crossSiteSignIn.cookies[ReviewAuthenticator.cookieName] == nil)

            #expect(try await browser.get("/review/conflicts", via: client).status == .ok, "the session survived")
            // Without Origin (curl, scripts) the CSRF token decides, as before.
            var withoutOrigin = browser
            withoutOrigin.origin = nil
            #expect(try await withoutOrigin.post("/review/sign-out", form: [("csrf", "wrong")], via: client).status == .forbidden)
            // The server's own origin, with the default port spelled out or not, passes.
            typealias OriginCheck = PageOriginCheck<SyncRequestContext>
            #expect(OriginCheck.normalized("https://Sync.Kommune.dk:443") == OriginCheck.normalized("https://sync.kommune.dk"))
            let signedOut = try await browser.post("/review/sign-out", form: [("csrf", token)], via: client)
            #expect(signedOut.status == .seeOther && signedOut.location == "/review/sign-in")
        }
    }
}
