@testable import FieldApp
import PageKit
import Synchronization
import Testing

@Suite struct AppStateTests {
    final class Calls: Sendable {
        let count = Mutex(0)
    }

    /// The forwarding file is deleted when the address has been used: the
    /// state says so once, at the exchange that succeeds.
    @Test func theSecretIsExchangedOnceAndThenTheLauncherIsTold() async {
        let secret = PageSecret.generate()
        let calls = Calls()
        let state = AppState(session: nil, openingSecret: secret, whenOpened: { calls.count.withLock { $0 += 1 } })
        #expect(await state.exchange(nil) == nil)
        #expect(await state.exchange(PageSecret.generate()) == nil)
        #expect(calls.count.withLock { $0 } == 0)
        #expect(await state.admits(nil) == false)
        let cookie = await state.exchange(secret)
        #expect(cookie != nil && cookie != secret)
        #expect(calls.count.withLock { $0 } == 1)
        #expect(await state.admits(cookie))
        #expect(await state.admits(secret) == false)
        #expect(await state.exchange(secret) == nil)
        #expect(calls.count.withLock { $0 } == 1)
    }

    /// Browsers keep cookies by host, not port: a second app on the laptop
    /// must not overwrite this one's session cookie.
    @Test func everyStartNamesItsSessionCookieAnew() {
        let first = AppState(session: nil, openingSecret: PageSecret.generate(), whenOpened: {})
        let second = AppState(session: nil, openingSecret: PageSecret.generate(), whenOpened: {})
        #expect(first.cookie.name.hasPrefix("field_app_") && first.cookie.name != second.cookie.name)
    }

    /// The cookie is sent only under this start's own secret path.
    @Test func everyStartHasItsOwnSecretPathAndTheCookieIsLimitedToIt() {
        let first = AppState(session: nil, openingSecret: PageSecret.generate(), whenOpened: {})
        let second = AppState(session: nil, openingSecret: PageSecret.generate(), whenOpened: {})
        #expect(first.base.hasPrefix("/s/") && first.base != second.base)
        #expect(first.cookie.path == first.base && second.cookie.path == second.base)
    }

    @Test func onlyPathsUnderTheBaseAreInsideIt() {
        let base = "/s/abc"
        #expect(AppAuthenticator.pathInside("/s/abc", base: base) == "/")
        #expect(AppAuthenticator.pathInside("/s/abc/", base: base) == "/")
        #expect(AppAuthenticator.pathInside("/s/abc/cases/1", base: base) == "/cases/1")
        for outside in ["/", "", "/s", "/s/", "/s/ab", "/s/abcd", "/s/abcd/", "/x/s/abc/", "/S/abc/"] {
            #expect(AppAuthenticator.pathInside(outside, base: base) == nil, "\(outside)")
        }
    }
}
