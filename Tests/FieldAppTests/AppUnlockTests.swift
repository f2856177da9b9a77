@testable import FieldApp
import FieldKit
import Foundation
import Testing

/// The passphrase form against someone who guesses: one key derivation at a
/// time, and a growing wait after each wrong passphrase.
@Suite struct AppUnlockTests {
    static let right = "csrf=TOKEN&passphrase=" + AppHarness.passphrase.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
    static let wrong = "csrf=TOKEN&passphrase=forkert"

    @Test func afterAWrongPassphraseTheNextTryWaitsLongerEachTime() async throws {
        let clock = TestClock()
        try await AppHarness.with(locked: true, clock: clock) { app in
            let cookie = try await app.signIn()
            func post(_ form: String) async throws -> AppHarness.Answer {
                try await app.request("/unlock", method: "POST", cookie: cookie, form: form.replacingOccurrences(of: "TOKEN", with: app.csrfToken))
            }
            let first = try await post(Self.wrong)
            #expect(first.status == 401 && first.body.contains("Forkert adgangsfrase") && first.body.contains("Vent et sekund"))
            // Too soon: even the right passphrase is not tried.
            let early = try await post(Self.right)
            #expect(early.status == 429 && early.header("retry-after") == "1")
            #expect(early.body.contains("Vent et sekund endnu, før du prøver igen"))
            #expect(early.body.contains(#"type="password""#))
            #expect(try await app.request("/", cookie: cookie).header("location") == app.base + "/unlock")

            clock.advance(by: .seconds(1))
            let second = try await post(Self.wrong)
            #expect(second.status == 401 && second.body.contains("Vent 2 sekunder, og prøv så igen"))
            clock.advance(by: .seconds(1))
            let halfway = try await post(Self.right)
            #expect(halfway.status == 429 && halfway.header("retry-after") == "1")
            clock.advance(by: .seconds(1))
            #expect(try await post(Self.wrong).body.contains("Vent 4 sekunder"))
            let english = try await app.request("/unlock", method: "POST", cookie: cookie, headers: ["Accept-Language": "en"],
                                                form: Self.right.replacingOccurrences(of: "TOKEN", with: app.csrfToken))
            #expect(english.status == 429 && english.body.contains("Wait 4 more seconds before you try again"))

            clock.advance(by: .seconds(4))
            let unlocked = try await post(Self.right)
            #expect(unlocked.status == 303 && unlocked.header("location") == app.base + "/")
            #expect(try await app.request("/", cookie: cookie).status == 200)
        }
    }

    /// A second try while a key derivation runs never starts another.
    @Test func aSecondTryWhileOneRunsIsToldToWait() async {
        let clock = TestClock()
        let state = AppState(session: nil, openingSecret: "x", whenOpened: {}, now: { clock.now })
        #expect(await state.beginUnlock() == .go)
        #expect(await state.beginUnlock() == .busy)
        await state.unlockAbandoned()
        #expect(await state.beginUnlock() == .go)
        #expect(await state.unlockFailed() == .seconds(1))
        #expect(await state.beginUnlock() == .wait(.seconds(1)))
    }

    /// `field lock` in a terminal locks the running app too, when the app
    /// opened the data with the key `field unlock` kept.
    @Test func fieldLockLocksTheAppThatUsedTheKeptKey() async throws {
        let kept = try KeptKey()
        try await AppHarness.with(keptKey: kept, prepare: { session in
            try await session.makeCase("Familien Holm", citizen: "0101-A", step: ("Opfølgende hjemmebesøg", "2099-01-10"))
        }) { app in
            #expect(app.session.isOpenedWithKeptKey)
            let cookie = try await app.signIn()
            #expect(try await app.request("/", cookie: cookie).body.contains("Familien Holm"))
            #expect(FieldSession.lock(paths: app.paths, environment: kept.environment))
            for path in ["/", "/cases"] {
                let locked = try await app.request(path, cookie: cookie)
                #expect(locked.status == 303 && locked.header("location") == app.base + "/unlock", "\(path)")
            }
            let form = try await app.request("/unlock", cookie: cookie)
            #expect(form.status == 200 && form.body.contains(#"type="password""#) && !form.body.contains("Familien Holm"))
            let right = Self.right.replacingOccurrences(of: "TOKEN", with: app.csrfToken)
            #expect(try await app.request("/unlock", method: "POST", cookie: cookie, form: right).status == 303)
            #expect(try await app.request("/", cookie: cookie).body.contains("Familien Holm"))
        }
    }

    @Test func theKeptKeyRunningOutLocksTheApp() async throws {
        let kept = try KeptKey()
        try await AppHarness.with(keptKey: kept) { app in
            let cookie = try await app.signIn()
            kept.clock.advance(by: KeptKey.lifetime - 1)
            #expect(try await app.request("/", cookie: cookie).status == 200)
            kept.clock.advance(by: 1)
            #expect(try await app.request("/", cookie: cookie).header("location") == app.base + "/unlock")
            #expect(try await app.request("/unlock", cookie: cookie).status == 200)
        }
    }

    /// Data opened with the passphrase is the app's own: `field lock` has
    /// nothing to do with it.
    @Test func fieldLockLeavesDataOpenedWithThePassphrase() async throws {
        try await AppHarness.with { app in
            #expect(!app.session.isOpenedWithKeptKey)
            let cookie = try await app.signIn()
            FieldSession.lock(paths: app.paths)
            #expect(try await app.request("/", cookie: cookie).status == 200)
        }
    }

    @Test func theLockButtonForgetsTheKeyAndTheKeptOneToo() async throws {
        let kept = try KeptKey()
        try await AppHarness.with(keptKey: kept) { app in
            let cookie = try await app.signIn()
            let page = try await app.request("/cases", cookie: cookie).body
            let form = try #require(page.range(of: #"<form class="lock""#).map { page[$0.lowerBound...].prefix(while: { $0 != ">" }) })
            #expect(form.contains(#"method="post""#) && form.contains(#"action="\#(app.base)/lock""#), "\(form)")
            #expect(page.contains(#"<button type="submit" aria-describedby="lock-hint">Lås</button>"#))
            for body in ["", "csrf=wrong"] {
                #expect(try await app.request("/lock", method: "POST", cookie: cookie, form: body).status == 403, "\(body)")
            }
            #expect(try await app.request("/lock", method: "POST", form: "csrf=\(app.csrfToken)").status == 403)
            #expect(try await app.request("/", cookie: cookie).status == 200)

            let locked = try await app.request("/lock", method: "POST", cookie: cookie, form: "csrf=\(app.csrfToken)")
            #expect(locked.status == 303 && locked.header("location") == app.base + "/unlock")
            #expect(try await app.request("/", cookie: cookie).header("location") == app.base + "/unlock")
            // The kept key is gone as well: else the form would open the data for any passphrase.
            #expect(throws: FieldError.noPassphrase) {
                try FieldSession.open(paths: app.paths, secret: { throw FieldError.noPassphrase }, environment: kept.environment)
            }
            let wrong = try await app.request("/unlock", method: "POST", cookie: cookie,
                                              form: Self.wrong.replacingOccurrences(of: "TOKEN", with: app.csrfToken))
            #expect(wrong.status == 401)
        }
    }
}
