import FieldKit
import Foundation
import Hummingbird
import PageKit

/// What every page's layout needs: the texts of its language, the header's
/// user and sync state, which navigation entry is current, and the CSRF token
/// of the forms.
struct AppFrame: Sendable {
    let lang: String
    /// The path every link and form of the page starts with (`AppState.base`).
    let base: String
    let title: String
    let csrf: String
    /// Nil while the data is locked (and on error pages).
    let user: String?
    let sync: SyncLine?
    let onAgenda: Bool
    let onCases: Bool
    /// False on the refusal of a request outside the base, which must not
    /// learn the base from the stylesheet's address.
    var linksStylesheet = true
    var onSync = false

    struct SyncLine: Sendable {
        let lastSync: String
        let waiting: String
        let hasWaiting: Bool
        /// Nil when no conflict is open on this laptop.
        let conflicts: String?
    }

    enum Section { case agenda, cases, sync, none }

    static func make(
        title: String, section: Section, language: Language, state: AppState, reads: FieldSession?
    ) async throws -> AppFrame {
        var sync: SyncLine?
        if let reads {
            // Counts only, kept by the replica: no note is opened for the header.
            let status = try await reads.syncState()
            let dates = DateText(language)
            let catalogues = AppRoutes.catalogues
            let waiting = switch status.waitingEntries {
            case 0: catalogues.text("syncWaitingNone", language)
            case 1: catalogues.text("syncWaitingOne", language)
            default: catalogues.text("syncWaitingMany", language, String(status.waitingEntries))
            }
            sync = SyncLine(
                lastSync: status.lastSyncAt.map { catalogues.text("syncLast", language, dates.dateAndTime(milliseconds: $0)) }
                    ?? catalogues.text("syncNever", language),
                waiting: waiting,
                hasWaiting: status.waitingEntries > 0,
                conflicts: status.openConflicts == 0 ? nil
                    : status.openConflicts == 1 ? catalogues.text("syncConflictsOne", language)
                    : catalogues.text("syncConflictsMany", language, String(status.openConflicts)))
        }
        var frame = AppFrame(lang: language.rawValue, base: state.base, title: title, csrf: state.csrfToken, user: reads?.settings.user,
                             sync: sync, onAgenda: section == .agenda, onCases: section == .cases)
        frame.onSync = section == .sync
        return frame
    }

    struct ErrorContent: Sendable {
        let status: Int
        let heading: String
        let message: String
        let detail: String?
    }

    /// `revealingBase` only for a request under the base: one that already
    /// knows it.
    static func errorPage(_ error: PageError, language: Language, state: AppState, revealingBase: Bool) async -> Response {
        let catalogues = AppRoutes.catalogues
        let heading = catalogues.text(error.headingKey, language)
        // No CSRF token: an error page is also what a request without the
        // session cookie gets, and the token must not reach it.
        let frame = AppFrame(lang: language.rawValue, base: revealingBase ? state.base : "", title: heading, csrf: "", user: nil,
                             sync: nil, onAgenda: false, onCases: false, linksStylesheet: revealingBase)
        let content = ErrorContent(status: Int(error.status.code), heading: heading,
                                   message: catalogues.text(error.messageKey, language, arguments: error.arguments), detail: error.detail)
        return AppRoutes.renderer.page("error", AppPage(t: catalogues.texts(for: language), frame: frame, content: content),
                                       status: error.status)
    }
}

/// The model of every page: `t` the texts (`{{t.key}}`), `frame` the layout's,
/// `content` the page's own.
struct AppPage<Content: Sendable>: Sendable {
    let t: [String: String]
    let frame: AppFrame
    let content: Content
}

extension Catalogues {
    /// The word for a value of an open enumeration (a role, a kind of note),
    /// under `prefix` and the value in camel case (`roleDayCare`); a value
    /// this version does not know is shown as it is.
    func word(_ prefix: String, _ rawValue: String, _ language: Language) -> String {
        let key = prefix + rawValue.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        return texts(for: language)[key] ?? rawValue
    }
}
