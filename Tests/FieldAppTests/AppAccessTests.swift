@testable import FieldApp
import Foundation
import Testing

/// Only the browser that opened the printed address may use the app.
@Suite struct AppAccessTests {
    @Test func anythingWithoutTheCookieGetsADanishRefusal() async throws {
        try await AppHarness.with { app in
            for path in ["/", "/cases", "/cases/0123456789abcdef0123456789abcdef", "/unlock", "/nowhere", ""] {
                let answer = try await app.request(path)
                #expect(answer.status == 403, "\(path)")
                #expect(answer.body.contains("Åbn appen fra din terminal"), "\(path)")
                #expect(answer.body.contains("field app"))
                #expect(!answer.body.contains(app.csrfToken), "\(path): the session's CSRF token")
            }
            let guessed = try await app.request("/", cookie: "guessed")
            #expect(guessed.status == 403)
        }
    }

    @Test func theOneTimeAddressWorksOnceAndLeavesTheAddressBar() async throws {
        try await AppHarness.with { app in
            #expect(app.address.host == "127.0.0.1")
            #expect(app.address.path == app.base + "/open")
            let wrong = try await app.request("/open?secret=\(String(repeating: "A", count: 43))")
            #expect(wrong.status == 403 && wrong.cookie == nil)
            let first = try await app.request(fullPath: app.openingPath)
            #expect(first.status == 303)
            #expect(first.header("location") == app.base + "/")
            let setCookie = try #require(first.header("set-cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
            let cookie = try #require(first.cookie)
            #expect(!cookie.isEmpty && !(app.address.query ?? "").contains(cookie))
            #expect(try await app.request("/", cookie: cookie).status == 200)
            // Used: the same address opens nothing any more.
            let again = try await app.request(fullPath: app.openingPath)
            #expect(again.status == 403 && again.cookie == nil)
            // The browser that holds the cookie is sent on to the app.
            let reopened = try await app.request(fullPath: app.openingPath, cookie: cookie)
            #expect(reopened.status == 303 && reopened.header("location") == app.base + "/")
        }
    }

    /// Browsers send a 127.0.0.1 cookie to every port of 127.0.0.1, so
    /// another user's server there could receive it: the cookie is limited
    /// to the secret path of this start, and nothing outside it answers.
    @Test func everyPageLivesUnderASecretPathTheCookieIsLimitedTo() async throws {
        try await AppHarness.with { app in
            #expect(app.base.hasPrefix("/s/") && app.base.count >= 40, "\(app.base)")
            // Outside the base, the one-time secret opens nothing, and is not used up.
            let outside = try await app.request(fullPath: "/open?" + (app.address.query ?? ""))
            #expect(outside.status == 403 && outside.cookie == nil)
            let first = try await app.request(fullPath: app.openingPath)
            #expect(first.status == 303)
            let setCookie = try #require(first.header("set-cookie"))
            let attributes = setCookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(attributes.contains("Path=\(app.base)"), "\(setCookie)")
            let cookie = try #require(first.cookie)
            #expect(try await app.request("/", cookie: cookie).status == 200)
            #expect(try await app.request("", cookie: cookie).status == 200)
            let token = app.base.dropFirst(3)
            for path in ["/", "/cases", "/app.css", "/unlock", "/open", "/s", "/s/", "/s/\(token.dropLast())/", "/s/\(token)x/",
                         "/S/\(token)/", "/x\(app.base)/"] {
                let answer = try await app.request(fullPath: path, cookie: cookie)
                #expect(answer.status == 403, "\(path)")
                #expect(answer.body.contains("Åbn appen fra din terminal"), "\(path)")
                // The refusal does not give the base away, not even in the stylesheet's address.
                #expect(!answer.body.contains(String(token)) && !answer.body.contains("stylesheet"), "\(path)")
                #expect(answer.header("set-cookie") == nil)
            }
            // Under the base but without the cookie: refused, with the app's own look.
            let withoutCookie = try await app.request("/")
            #expect(withoutCookie.status == 403 && withoutCookie.body.contains(#"href="\#(app.base)/app.css""#))
        }
    }

    @Test func anotherHostNameIsRefusedEvenWithTheCookie() async throws {
        try await AppHarness.with { app in
            let cookie = try await app.signIn()
            #expect(try await app.request("/", cookie: cookie, host: "localhost:\(app.port)").status == 200)
            #expect(try await app.request("/", cookie: cookie, host: "127.0.0.1:\(app.port)").status == 200)
            for host in ["evil.example:\(app.port)", "127.0.0.1", "localhost:1", "127.0.0.1.evil.example:\(app.port)"] {
                let answer = try await app.request("/", cookie: cookie, host: host)
                #expect(answer.status == 403, "\(host)")
                #expect(answer.body.contains("Forkert adresse"), "\(host)")
            }
            // The one-time address too: a rebound page cannot take it.
            let rebound = try await app.request(fullPath: app.openingPath, host: "evil.example:\(app.port)")
            #expect(rebound.status == 403)
        }
    }

    @Test func formsWithoutTheTokenOrFromAnotherOriginAreRefused() async throws {
        try await AppHarness.with(locked: true) { app in
            let cookie = try await app.signIn()
            let form = try await app.request("/unlock", cookie: cookie)
            let csrf = try #require(AppHarness.csrf(in: form.body))
            for body in ["passphrase=x", "csrf=wrong&passphrase=x", "csrf=&passphrase=x"] {
                let refused = try await app.request("/unlock", method: "POST", cookie: cookie, form: body)
                #expect(refused.status == 403, "\(body)")
                #expect(refused.body.contains("Formularen er udløbet"))
            }
            let foreign = try await app.request("/unlock", method: "POST", cookie: cookie, headers: ["Origin": "http://evil.example"],
                                                form: "csrf=\(csrf)&passphrase=\(AppHarness.passphrase)")
            #expect(foreign.status == 403 && foreign.body.contains("Sendt fra en anden side"))
            // None of them unlocked anything.
            #expect(try await app.request("/", cookie: cookie).header("location") == app.base + "/unlock")
        }
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() async throws {
        try await AppHarness.with(prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A")
        }) { app in
            let caseID = try #require(try await app.session.replica.cases().first?.id)
            let cookie = try await app.signIn()
            let answers = [
                try await app.request("/", cookie: cookie), try await app.request("/cases", cookie: cookie),
                try await app.request("/cases/\(caseID)", cookie: cookie), try await app.request("/app.css"),
                try await app.request("/"), try await app.request("/nowhere", cookie: cookie),
                try await app.request("/", cookie: cookie, host: "evil.example:\(app.port)"),
                try await app.request("/open?secret=x"), try await app.request(fullPath: "/", cookie: cookie),
                try await app.request("/favicon.svg"),
            ]
            #expect(answers.map(\.status) == [200, 200, 200, 200, 403, 404, 403, 403, 403, 200])
            // Every page names its icon under the secret address: the browser asks for no /favicon.ico.
            #expect(answers[0].body.contains(#"<link rel="icon" href="\#(app.base)/favicon.svg" type="image/svg+xml">"#))
            #expect(answers.last?.header("content-type") == "image/svg+xml")
            for answer in answers {
                let policy = answer.header("content-security-policy") ?? ""
                #expect(policy.contains("default-src 'none'") && policy.contains("frame-ancestors 'none'"), "\(answer.status)")
                #expect(!policy.contains("unsafe-inline"))
                #expect(answer.header("cache-control") == "no-store")
                #expect(answer.header("x-content-type-options") == "nosniff")
                #expect(answer.header("referrer-policy") == "same-origin")
            }
            // No script, and no inline style, anywhere.
            for answer in answers where answer.header("content-type")?.hasPrefix("text/html") == true {
                #expect(!answer.body.contains("<script") && !answer.body.contains("style=") && !answer.body.contains("<style"))
            }
        }
    }
}
