import FieldKit
import Foundation
import Logging
import PageKit
import Synchronization

/// What the running app keeps in memory: the opened local data (and so its
/// key) once unlocked, the one-time secret of the address it printed, and the
/// one browser session that secret was exchanged for.
actor AppState {
    private(set) var session: FieldSession?
    private var openingSecret: String?
    private var browserCookie: String?
    /// Every form of the browser session carries it.
    nonisolated let csrfToken = PageSecret.generate()
    /// The secret path every page, link and form of the app lives under
    /// (`/s/<token>`), new on every start. The session cookie is limited to
    /// it: browsers send a 127.0.0.1 cookie to every port of 127.0.0.1, so
    /// another user's server on another port could otherwise receive it.
    nonisolated let base: String
    /// The session cookie, named anew on every start: browsers keep cookies
    /// by host, not by port, so under one fixed name a second app (or any
    /// server on 127.0.0.1) would overwrite this one's and lock its
    /// browser out. No expiry: it lasts until the browser closes, and is
    /// worth nothing once the app stops.
    nonisolated let cookie: SessionCookie
    private let whenOpened: @Sendable () -> Void
    private var throttle = UnlockThrottle()
    /// Asked for the time the unlock throttle counts by.
    private let now: @Sendable () -> ContinuousClock.Instant
    /// The one sync of the app at a time (`SyncPages`).
    nonisolated let sync: SyncRunner
    /// True once a sync was told that this laptop may no longer hold case
    /// data (revoked, or the user removed) and FieldKit deleted it: from then
    /// on every page says so, as there is nothing left to open.
    private(set) var isDataDeleted = false

    init(session: FieldSession?, openingSecret: String, whenOpened: @escaping @Sendable () -> Void,
         now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, sync: SyncRunner = SyncRunner()) {
        self.session = session
        self.sync = sync
        self.openingSecret = openingSecret
        self.now = now
        let base = "/s/" + PageSecret.generate()
        self.base = base
        cookie = SessionCookie(name: "field_app_" + PageSecret.generate().prefix(12), path: base, secure: false)
        self.whenOpened = whenOpened
    }

    /// The session cookie for the one-time secret, once: nil for another
    /// value, and for every try after the first that matched.
    func exchange(_ sent: String?) -> String? {
        guard let expected = openingSecret, PageSecret.matches(sent, expected) else { return nil }
        openingSecret = nil
        let cookie = PageSecret.generate()
        browserCookie = cookie
        whenOpened()
        return cookie
    }

    func admits(_ cookie: String?) -> Bool {
        guard let browserCookie else { return false }
        return PageSecret.matches(cookie, browserCookie)
    }

    /// The opened data, to use now; nil while it is locked. Data opened with
    /// the key kept by `field unlock` is let go (and the key with it) once
    /// that key is gone: `field lock`, or its time is up.
    func currentSession(logger: Logger) -> FieldSession? {
        if let session, !session.isKeptKeyStillHeld() {
            self.session = nil
            logger.notice("the key kept by field unlock is gone (field lock, or it expired): the app has locked the data")
        }
        return session
    }

    /// The opened data, for a page behind `RequireUnlocked`: a request that
    /// passed it just before the data was locked is refused, not served.
    func openedSession() throws -> FieldSession {
        guard let session else { throw PageError.closed }
        return session
    }

    /// Forgets the opened data and so its key: the passphrase form comes
    /// next. Returns what was open.
    @discardableResult
    func lock() -> FieldSession? {
        defer { session = nil }
        return session
    }

    /// FieldKit deleted the case data (`FieldError.purged`): the opened
    /// replica's files are gone, so it is let go with its key.
    func dataDeleted() {
        session = nil
        isDataDeleted = true
    }

    /// Whether the passphrase form may derive a key now (see `UnlockThrottle`).
    func beginUnlock() -> UnlockThrottle.Decision {
        throttle.begin(at: now())
    }

    func unlocked(_ session: FieldSession) {
        self.session = session
        throttle.succeeded()
    }

    /// Returns the wait before the next try.
    func unlockFailed() -> Duration {
        throttle.failed(at: now())
    }

    func unlockAbandoned() {
        throttle.abandoned()
    }
}

/// The port the server listens on, known once it listens (`--port 0` asks
/// the system for a free one); read by the Host check of every request.
final class ListeningPort: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(_ value: Int) { port.withLock { $0 = value } }

    /// `127.0.0.1:PORT` and `localhost:PORT`: the names the app is opened by.
    var acceptedHosts: Set<String> {
        guard let port = port.withLock({ $0 }) else { return [] }
        return ["127.0.0.1:\(port)", "localhost:\(port)"]
    }
}
