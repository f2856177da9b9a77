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
}
