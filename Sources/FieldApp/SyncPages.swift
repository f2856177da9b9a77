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
            let started = state.sync.start(session) { outcome in
                if case .failed(.purged) = outcome {
                    // FieldKit has deleted the files under the opened replica.
                    await state.dataDeleted()
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
            var lines = [catalogues.text("syncDoneCounts", language, String(report.pushed), String(report.pulledFromOthers))]
            if let redated = report.redated { lines.append(catalogues.text("syncRedated", language, String(redated.count))) }
            if report.resent > 0 { lines.append(catalogues.text("syncResent", language, String(report.resent))) }
            if !report.notRestored.isEmpty { lines.append(catalogues.text("syncNotRestored", language, String(report.notRestored.count))) }
            let waiting = report.waitingCases.count
            if waiting > 0 {
                lines.append(waiting == 1 ? catalogues.text("syncCasesWaitingOne", language)
                             : catalogues.text("syncCasesWaitingMany", language, String(waiting)))
            }
            let handedOver = report.removedCases.map { report.removedCaseTitles[$0] ?? catalogues.text("untitled", language) }
                .sorted { $0.localizedStandardCompare($1) == .orderedAscending }
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
