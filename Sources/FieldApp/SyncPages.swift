import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// Sync from the app: a button (here and in every page's header) that starts
/// `FieldSession.sync` in `SyncRunner`, a page that shows its progress and
/// then its outcome in plain words, and a small status answer that `app.js`
/// asks while it runs, so the page follows without reloading itself. Without
/// script the page says that the sync is under way, and "Opdatér" shows how
/// far it got.
///
/// The sync itself, and what it deletes when the server says so, is
/// FieldKit's; this only words what it reports.
struct SyncPages: Sendable {
    let state: AppState
    let language: Language?

    struct SyncForm: PageFormBody {
        let csrf: String?
    }

    struct Content: Sendable {
        let action: String
        let statusLink: String
        let refreshLink: String
        let running: Bool
        let progress: String
        let outcome: OutcomeView?
        let hasOutcome: Bool
    }

    /// How the last sync ended, in the words of the page.
    struct OutcomeView: Sendable {
        let succeeded: Bool
        let heading: String
        let lines: [String]
        /// The titles of the cases that left this laptop.
        let handedOver: [String]
        let hasHandedOver: Bool
        /// The technical reason, for IT, when the words above cannot say it.
        let detail: String?
        let finished: String?
    }

    /// What `app.js` asks while the sync runs.
    struct StatusAnswer: Encodable {
        let running: Bool
        let text: String
    }

    func addRoutes(to unlocked: RouterGroup<BasicRequestContext>, statusTo app: RouterGroup<BasicRequestContext>) {
        unlocked.get("sync") { request, context in
            let language = AppRoutes.language(language, request)
            guard let session = await state.currentSession(logger: context.logger) else { throw PageError.closed }
            return try await page(language, session: session)
        }
        unlocked.post("sync") { request, context in
            _ = try await PageForm.decode(SyncForm.self, from: request, csrfToken: state.csrfToken, limit: AppRoutes.maximumFormBytes)
            guard let session = await state.currentSession(logger: context.logger) else { throw PageError.closed }
            let (state, logger) = (state, context.logger)
            // The session is let go before FieldKit deletes its files: no
            // page is served from a replica whose files are going.
            let started = state.sync.start(session, beforeDeleting: { await state.dataDeleted() }) { outcome in
                await state.reloadRole()
                if case .failed(.purged) = outcome {
                    logger.notice("the server said this laptop may no longer hold case data: it was deleted")
                }
            }
            if started { context.logger.notice("sync started from the app") }
            return PageHeaders.redirect(to: state.base + "/sync")
        }
        // Outside `RequireUnlocked`: the sync goes on after the app is locked
        // or its data deleted, and the page still asks how it went. It tells
        // how far the sync got and no case data.
        app.get("sync/status") { request, _ in
            let language = AppRoutes.language(language, request)
            let status = state.sync.status
            let text = status.running ? Self.progressText(status.progress, language)
                : status.outcome.map { Self.outcomeView($0, finishedAt: status.finishedAt, language: language).heading } ?? ""
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = try encoder.encode(StatusAnswer(running: status.running, text: text))
            return Response(status: .ok, headers: PageHeaders.secured(contentType: "application/json"),
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    private func page(_ language: Language, session: FieldSession) async throws -> Response {
        let catalogues = AppRoutes.catalogues
        let status = state.sync.status
        let outcome = status.running ? nil : status.outcome.map { Self.outcomeView($0, finishedAt: status.finishedAt, language: language) }
        let content = Content(
            action: state.base + "/sync", statusLink: state.base + "/sync/status", refreshLink: state.base + "/sync",
            running: status.running, progress: Self.progressText(status.progress, language), outcome: outcome, hasOutcome: outcome != nil)
        let frame = try await AppFrame.make(title: catalogues.text("syncHeading", language), section: .sync, language: language,
                                            state: state, reads: session)
        return AppRoutes.renderer.page("sync", AppPage(t: catalogues.texts(for: language), frame: frame, content: content),
                                       contentSecurityPolicy: PageHeaders.scriptingContentSecurityPolicy)
    }

    static func progressText(_ progress: SyncRunner.Progress?, _ language: Language) -> String {
        let catalogues = AppRoutes.catalogues
        guard let progress else { return catalogues.text("syncStarting", language) }
        let key = progress.phase == "push" ? "syncProgressSending" : "syncProgressFetching"
        guard let total = progress.total, total >= progress.done else { return catalogues.text(key + "Some", language, String(progress.done)) }
        return catalogues.text(key, language, String(progress.done), String(total))
    }

    static func outcomeView(_ outcome: SyncRunner.Outcome, finishedAt: UInt64?, language: Language) -> OutcomeView {
        let catalogues = AppRoutes.catalogues
        let finished = finishedAt.map { catalogues.text("syncFinishedAt", language, DateText(language).dateAndTime(milliseconds: Int64($0))) }
        func failure(_ key: String, detail: String? = nil) -> OutcomeView {
            OutcomeView(succeeded: false, heading: catalogues.text(key + "Heading", language), lines: [catalogues.text(key + "Message", language)],
                        handedOver: [], hasHandedOver: false, detail: detail, finished: finished)
        }
        switch outcome {
        case .done(let report):
            func counted(_ key: String, _ count: Int) -> String {
                catalogues.text(key + (count == 0 ? "None" : count == 1 ? "One" : "Many"), language, String(count))
            }
            var lines = [counted("syncDoneSent", report.pushedEntries), counted("syncDoneFetched", report.pulledEntriesFromOthers)]
            if let redated = report.redated { lines.append(catalogues.text("syncRedated", language, String(redated.count))) }
            if report.resent > 0 { lines.append(catalogues.text("syncResent", language, String(report.resent))) }
            if !report.notRestored.isEmpty { lines.append(catalogues.text("syncNotRestored", language, String(report.notRestored.count))) }
            if !report.withdrawn.isEmpty { lines.append(counted("syncWithdrawn", report.withdrawn.count)) }
            let waiting = report.waitingCases.count
            if waiting > 0 {
                lines.append(waiting == 1 ? catalogues.text("syncCasesWaitingOne", language)
                             : catalogues.text("syncCasesWaitingMany", language, String(waiting)))
            }
            let handedOver = report.removedCases
                .map { (title: report.removedCaseTitles[$0] ?? catalogues.text("untitled", language), unsent: report.unsentOfRemovedCases[$0] ?? 0) }
                .sorted { $0.title.localizedStandardCompare($1.title) == .orderedAscending }
                .map { removed in
                    switch removed.unsent {
                    case 0: removed.title
                    case 1: catalogues.text("syncHandedOverUnsentOne", language, removed.title)
                    default: catalogues.text("syncHandedOverUnsentMany", language, removed.title, String(removed.unsent))
                    }
                }
            return OutcomeView(succeeded: true, heading: catalogues.text(waiting > 0 ? "syncDonePartlyHeading" : "syncDoneHeading", language),
                               lines: lines, handedOver: handedOver, hasHandedOver: !handedOver.isEmpty, detail: nil, finished: finished)
        case .failed(let error):
            switch error {
            case .serverUnreachable: return failure("syncNoConnection")
            case .serverStorageFull: return failure("syncServerFull")
            case .serverRefused(503, "server-busy", _): return failure("syncServerBusy")
            case .clockAhead, .wrongClock: return failure("syncClockWrong")
            case .purged: return failure("dataDeleted")
            case .signInUnknown, .notLoggedIn, .notSetUp: return failure("syncSignIn")
            case .untrustedServer: return failure("syncUntrusted")
            default: return failure("syncRefused", detail: error.description)
            }
        case .broke(let detail):
            return failure("syncRefused", detail: detail)
        }
    }
}
