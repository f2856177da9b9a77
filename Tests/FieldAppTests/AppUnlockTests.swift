@testable import FieldApp
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
}
