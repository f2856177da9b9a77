import FieldKit
import Foundation
import Hummingbird
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
    private var searches = RememberedSearches()
    /// Asked for the time the unlock throttle and the idle lock count by.
    private let now: @Sendable () -> ContinuousClock.Instant
    /// How long the opened data stays open without a request; nil for ever.
    let idleLock: Duration?
    private var lastUse: ContinuousClock.Instant
    /// Forms posted while the data was locked, newest last, waiting for the
    /// passphrase (see `hold`).
    private var held: [(id: String, form: HeldForm)] = []
    /// A note form may be a MiB: a few of them, not an unbounded heap of text.
    static let maximumHeldForms = 4
    /// The ids of held forms let go, to tell their pages (a few bytes each).
    private var dropped: [String] = []
    static let maximumDroppedIDs = 32

    /// The one sync of the app at a time (`SyncPages`).
    nonisolated let sync: SyncRunner
    /// True once a sync was told that this laptop may no longer hold case
    /// data (revoked, or the user removed) and FieldKit deleted it: from then
    /// on every page says so, as there is nothing left to open.
    private(set) var isDataDeleted = false

    init(session: FieldSession?, openingSecret: String, whenOpened: @escaping @Sendable () -> Void,
         now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, idleLock: Duration? = nil,
         sync: SyncRunner = SyncRunner()) {
        self.session = session
        self.sync = sync
        self.openingSecret = openingSecret
        self.now = now
        self.idleLock = idleLock
        lastUse = now()
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
    /// Data opened otherwise is let go after `idleLock` without a request: a
    /// laptop left open on a kitchen table does not stay open all day. (A
    /// kept key has the lifetime `field unlock` gave it instead.)
    /// Every call is a use, and restarts the idle time.
    func currentSession(logger: Logger) -> FieldSession? {
        if let session, !session.isDataStillHeld {
            // `field sync` in a terminal was told the laptop is revoked, and deleted the data.
            dataDeleted()
            logger.notice("the case data was deleted from this laptop while the app ran: the app has let it go")
        }
        if let session, !session.isKeptKeyStillHeld() {
            letGo()
            logger.notice("the key kept by field unlock is gone (field lock, or it expired): the app has locked the data")
        }
        lockIfIdle(logger: logger)
        lastUse = now()
        return session
    }

    /// Locks the data once it has not been used for `idleLock`, without
    /// counting as a use: asked now and then while no request comes, so that
    /// the key leaves the app's memory on time and not only at the next page.
    func lockIfIdle(logger: Logger) {
        guard let session, !session.isOpenedWithKeptKey, let idleLock, now() - lastUse >= idleLock else { return }
        letGo()
        logger.notice("the app was not used for \(idleLock): it has locked the data")
    }

    /// The opened data, for a page behind `RequireUnlocked`: a request that
    /// passed it just before the data was locked is refused, not served.
    func openedSession() throws -> FieldSession {
        guard let session else { throw isDataDeleted ? PageError.dataDeleted : PageError.closed }
        return session
    }

    /// Forgets the opened data and so its key: the passphrase form comes
    /// next. Returns what was open.
    @discardableResult
    func lock() -> FieldSession? {
        defer { letGo() }
        return session
    }

    /// Every way the data locks (Lås, the idle lock, `field lock`, the kept
    /// key's expiry) forgets what the app holds of it besides the key: the
    /// words searched and the last sync's outcome (it names handed-over
    /// cases). Whoever unlocks next gets neither back.
    private func letGo() {
        session = nil
        searches = RememberedSearches()
        sync.forgetOutcome()
    }

    /// Keeps the words of a search; returns the id its results page is addressed by.
    func rememberSearch(_ query: String) -> String {
        searches.remember(query)
    }

    func rememberedSearch(_ id: String) -> String? {
        searches.words(for: id)
    }

    /// A sync ended, however: the session takes the role the server said it
    /// holds now (a demoted supervisor loses the settle form at once). A
    /// session let go meanwhile stays let go.
    func reloadRole() {
        session = session?.reloadingRole()
    }

    /// FieldKit deleted the case data (`FieldError.purged`): the opened
    /// replica's files are gone, so it is let go with its key.
    /// Once only: the outcome of the sync that deleted it stays to be told.
    func dataDeleted() {
        guard !isDataDeleted else { return }
        letGo()
        isDataDeleted = true
    }

    /// Whether the passphrase form may derive a key now (see `UnlockThrottle`).
    func beginUnlock() -> UnlockThrottle.Decision {
        throttle.begin(at: now())
    }

    func unlocked(_ session: FieldSession) {
        self.session = session
        lastUse = now()
        throttle.succeeded()
    }

    /// Returns the wait before the next try.
    func unlockFailed() -> Duration {
        throttle.failed(at: now())
    }

    func unlockAbandoned() {
        throttle.abandoned()
    }

    /// A form as it was posted while the data was locked: "Gem kladde", a new
    /// note, a finalization sent after Lås, `field lock` or the idle lock.
    struct HeldForm: Sendable {
        let head: HTTPRequest
        let body: ByteBuffer
    }

    /// Keeps `form` in memory only (never on disk: it is case text in the
    /// clear) until the passphrase is given, under a one-time random id for
    /// the passphrase page to carry. The oldest is let go past a few.
    func hold(_ form: HeldForm) -> String {
        let id = PageSecret.generate()
        held.append((id, form))
        if held.count > Self.maximumHeldForms {
            let over = held.count - Self.maximumHeldForms
            dropped += held.prefix(over).map(\.id)
            held.removeFirst(over)
            if dropped.count > Self.maximumDroppedIDs { dropped.removeFirst(dropped.count - Self.maximumDroppedIDs) }
        }
        return id
    }

    /// Whether `id` named a form let go past `maximumHeldForms`: its page
    /// says so, rather than unlocking as if it were saved.
    func wasDropped(_ id: String?) -> Bool {
        guard let id else { return false }
        return dropped.contains { PageSecret.matches(id, $0) }
    }

    func isHolding(_ id: String?) -> Bool {
        guard let id else { return false }
        return held.contains { PageSecret.matches(id, $0.id) }
    }

    /// The held form, once: it is forgotten as it is handed out.
    func takeHeld(_ id: String?) -> HeldForm? {
        guard let id, let index = held.firstIndex(where: { PageSecret.matches(id, $0.id) }) else { return nil }
        return held.remove(at: index).form
    }
}

/// The app's own routes, to send a held form through once the data is open
/// again: every check a request passes (cookie, origin, CSRF) runs again.
final class HeldFormReplay: Sendable {
    private let responder = Mutex<RouterResponder<BasicRequestContext>?>(nil)

    func set(_ value: RouterResponder<BasicRequestContext>) { responder.withLock { $0 = value } }

    func respond(to form: AppState.HeldForm, context: BasicRequestContext) async throws -> Response? {
        guard let responder = responder.withLock({ $0 }) else { return nil }
        return try await responder.respond(to: Request(head: form.head, body: RequestBody(buffer: form.body)), context: context)
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
