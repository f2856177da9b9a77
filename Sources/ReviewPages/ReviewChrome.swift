import SyncService

/// What every review page's header and navigation needs.
struct ReviewChrome: Sendable {
    let title: String
    /// Nil on pages shown to someone not signed in.
    let signedIn: SignedIn?

    struct SignedIn: Sendable {
        let user: String
        let role: String
        let csrf: String
    }

    init(_ title: String, session: ReviewSession?) {
        self.title = title
        signedIn = session.map { SignedIn(user: $0.user.name, role: $0.role.rawValue, csrf: $0.csrfToken) }
    }
}
