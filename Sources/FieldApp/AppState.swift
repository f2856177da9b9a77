import FieldKit
import Foundation
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
    /// The path every page and link of the app lives under ("" for the root).
    nonisolated let base = ""
    /// The session cookie, named anew on every start: browsers keep cookies
    /// by host, not by port, so under one fixed name a second app (or any
    /// server on 127.0.0.1) would overwrite this one's and lock its
    /// browser out. No expiry: it lasts until the browser closes, and is
    /// worth nothing once the app stops.
    nonisolated let cookie = SessionCookie(name: "field_app_" + PageSecret.generate().prefix(12), path: "/", secure: false)
    private let whenOpened: @Sendable () -> Void

    init(session: FieldSession?, openingSecret: String, whenOpened: @escaping @Sendable () -> Void) {
        self.session = session
        self.openingSecret = openingSecret
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

    func unlocked(_ session: FieldSession) {
        self.session = session
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
