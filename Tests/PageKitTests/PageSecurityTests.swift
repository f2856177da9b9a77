import Foundation
import Hummingbird
import HummingbirdTesting
import PageKit
import Testing

@Suite struct PageSecurityTests {
    struct Form: PageFormBody {
        let csrf: String?
        let text: String?
    }

    static let token = PageSecret.generate()

    /// A router like a front end's: errors as pages (here their keys), and
    /// one form that checks its CSRF token.
    static func router(acceptedHosts: Set<String> = ["localhost"]) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: PageErrorMiddleware<BasicRequestContext> { error, _, _ in
            Response(status: error.status, headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"),
                     body: ResponseBody(byteBuffer: ByteBuffer(string: error.headingKey)))
        })
        router.add(middleware: PageHostCheck<BasicRequestContext> { acceptedHosts })
        router.add(middleware: PageOriginCheck<BasicRequestContext>(scheme: "http"))
        router.post("form") { request, _ in
            let form = try await PageForm.decode(Form.self, from: request, csrfToken: token, limit: 1024)
            return "got \(form.text ?? "")"
        }
        return router
    }

    /// The test client sends every request to `localhost`.
    static func post(_ client: some TestClientProtocol, body: String, origin: String? = nil) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let origin { headers[.origin] = origin }
        return try await client.execute(uri: "/form", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
            (response.status, String(buffer: response.body))
        }
    }

    @Test func aFormWithoutTheSessionsTokenIsRefusedBeforeItIsRead() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let right = try await Self.post(client, body: "csrf=\(Self.token)&text=hej")
            #expect(right.0 == .ok && right.1 == "got hej")
            for body in ["text=hej", "csrf=&text=hej", "csrf=\(PageSecret.generate())&text=hej", "csrf=\(Self.token.dropLast())&text=hej"] {
                let refused = try await Self.post(client, body: body)
                #expect(refused.0 == .forbidden, "\(body)")
                #expect(refused.1 == "errorCsrfHeading")
            }
            let large = try await Self.post(client, body: "csrf=\(Self.token)&text=\(String(repeating: "a", count: 2000))")
            #expect(large.0 == .contentTooLarge && large.1 == "errorFormTooLargeHeading")
        }
    }

    @Test func aFormFromAnotherOriginOrForAnotherHostIsRefused() async throws {
        try await Application(router: Self.router()).test(.router) { client in
            let same = try await Self.post(client, body: "csrf=\(Self.token)", origin: "http://localhost")
            #expect(same.0 == .ok)
            let foreign = try await Self.post(client, body: "csrf=\(Self.token)", origin: "http://evil.example")
            #expect(foreign.0 == .forbidden && foreign.1 == "errorForeignOriginHeading")
            let null = try await Self.post(client, body: "csrf=\(Self.token)", origin: "null")
            #expect(null.0 == .forbidden)
        }
        // DNS rebinding: a page of another site whose name now points here.
        try await Application(router: Self.router(acceptedHosts: ["127.0.0.1:8123"])).test(.router) { client in
            let rebound = try await Self.post(client, body: "csrf=\(Self.token)")
            #expect(rebound.0 == .forbidden && rebound.1 == "errorWrongHostHeading")
        }
    }

    @Test func tokensAreRandomAndComparedWhole() {
        let token = PageSecret.generate()
        #expect(token.count == 43)
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(token != PageSecret.generate())
        #expect(PageSecret.matches(token, token))
        #expect(!PageSecret.matches(nil, token))
        #expect(!PageSecret.matches("", ""))
        #expect(!PageSecret.matches(token + "x", token))
        #expect(!PageSecret.matches(String(token.dropLast()) + (token.last == "A" ? "B" : "A"), token))
    }

    @Test func sessionCookiesAreHttpOnlyStrictAndScoped() {
        let cookie = SessionCookie(name: "app", path: "/", secure: false).cookie("v")
        #expect(cookie.httpOnly)
        #expect(cookie.sameSite == .strict)
        #expect(cookie.path == "/")
        #expect(!cookie.secure)
        let text = cookie.description
        #expect(text.contains("HttpOnly") && text.contains("SameSite=Strict") && text.contains("Path=/"), "\(text)")
        #expect(!text.contains("Secure"))
        let secure = SessionCookie(name: "review", path: "/review", secure: true).cookie("v", maxAge: 60)
        #expect(secure.secure && secure.description.contains("Secure") && secure.description.contains("Max-Age=60"))
        #expect(SessionCookie(name: "app", path: "/", secure: false).expired.maxAge == 0)
    }

    @Test func everyPageIsSentWithTheSecurityHeaders() {
        let headers = PageHeaders.secured(contentType: "text/html; charset=utf-8")
        let policy = headers[.contentSecurityPolicy] ?? ""
        #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'") && policy.contains("style-src 'self'"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("script-src"))
        #expect(headers[.cacheControl] == "no-store")
        #expect(headers[.xContentTypeOptions] == "nosniff")
        #expect(headers[PageHeaders.referrerPolicy] == "same-origin")
        let redirect = PageHeaders.redirect(to: "/")
        #expect(redirect.status == .seeOther && redirect.headers[.location] == "/" && redirect.headers[.cacheControl] == "no-store")
    }

    @Test func aPageWithItsOwnScriptMayLoadScriptFromTheServerOnlyAndNothingInline() {
        let headers = PageHeaders.secured(contentType: "text/html; charset=utf-8",
                                          contentSecurityPolicy: PageHeaders.scriptingContentSecurityPolicy)
        let policy = headers[.contentSecurityPolicy] ?? ""
        #expect(policy.contains("script-src 'self'") && policy.contains("connect-src 'self'"))
        #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'") && policy.contains("form-action 'self'"))
        #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval") && !policy.contains("*"))
        // Every other page keeps the policy without script.
        #expect(!(PageHeaders.secured(contentType: "text/html")[.contentSecurityPolicy] ?? "").contains("script-src"))
    }
}
