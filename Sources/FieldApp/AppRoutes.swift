import FieldKit
import Foundation
import Hummingbird
import PageKit

/// The app's routes, all under the secret base path, and the checks every
/// request passes, in order: errors become pages; a foreign Host header is
/// refused; outside the base nothing answers, and without the session cookie
/// only the one-time address and the stylesheet; a form from another origin is
/// refused; while the data is locked, only the passphrase page.
struct AppRoutes: Sendable {
    let state: AppState
    let paths: FieldPaths
    /// The language `--language` set, else nil to follow each browser.
    let language: Language?
    let port: ListeningPort
    /// The key file that opened the data, if one did: the passphrase page
    /// then opens it with that file again.
    var keyFile: String? = nil

    static let renderer = PageRenderer(bundle: .module)
    static let catalogues = Catalogues(bundle: .module)
    /// Every form of the app is small in this part: a passphrase, a search.
    static let maximumFormBytes = 16 * 1024

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let (state, language, port) = (state, language, port)
        router.add(middleware: PageErrorMiddleware<BasicRequestContext> { error, request, _ in
            await AppFrame.errorPage(error, language: Self.language(language, request), state: state,
                                     revealingBase: AppAuthenticator.pathInside(request.uri.path, base: state.base) != nil)
        })
        router.add(middleware: PageHostCheck<BasicRequestContext> { port.acceptedHosts })
        router.add(middleware: AppAuthenticator(state: state))
        router.add(middleware: PageOriginCheck<BasicRequestContext>(scheme: "http"))
        let app = router.group(RouterPath(state.base))
        app.get("app.css") { _, _ in Self.renderer.stylesheet("app.css") }
        // Named by every page, so that the browser asks for no /favicon.ico,
        // which, outside the secret address, would be refused on every page.
        app.get("favicon.svg") { _, _ in Self.renderer.image("favicon.svg") }
        // Outside `RequireUnlocked`: the sync page loads it while a sync may
        // delete the data, and it holds none. Still behind the session cookie.
        app.get("app.js") { _, _ in Self.renderer.script("app.js") }
        app.get("open") { request, _ in
            if await state.admits(state.cookie.value(in: request)) { return PageHeaders.redirect(to: state.base + "/") }
            guard let cookie = await state.exchange(request.uri.queryParameters.get("secret")) else { throw PageError.closed }
            // The redirect takes the secret out of the address bar and history.
            var response = PageHeaders.redirect(to: state.base + "/")
            response.setCookie(state.cookie.cookie(cookie))
            return response
        }
        let replay = HeldFormReplay()
        UnlockPages(state: state, paths: paths, language: language, keyFile: keyFile, replay: replay).addRoutes(to: app)
        let unlocked = app.group().add(middleware: RequireUnlocked(state: state, language: language))
        CasePages(state: state, language: language).addRoutes(to: unlocked)
        NotePages(state: state, language: language).addRoutes(to: unlocked)
        CaseFormPages(state: state, language: language).addRoutes(to: unlocked)
        ParticipantPages(state: state, language: language).addRoutes(to: unlocked)
        NextStepPages(state: state, language: language).addRoutes(to: unlocked)
        ConflictPages(state: state, language: language).addRoutes(to: unlocked)
        SyncPages(state: state, language: language).addRoutes(to: unlocked, statusTo: app)
        replay.set(router.buildResponder())
        return router
    }

    static func language(_ setting: Language?, _ request: Request) -> Language {
        Language.negotiate(setting: setting, acceptLanguage: request.headers[.acceptLanguage])
    }
}

extension PageError {
    /// A request without the app's cookie: someone else on the laptop, another
    /// program, or the owner in a browser the address was not opened in.
    static let closed = PageError(status: .forbidden, headingKey: "closedHeading", messageKey: "closedMessage")
    static let caseNotFound = PageError(status: .notFound, headingKey: "caseNotFoundHeading", messageKey: "caseNotFoundMessage")
    /// A sync was told that this laptop may no longer hold case data, and it
    /// was deleted: no page has anything to show, and each says why.
    static let dataDeleted = PageError(status: .gone, headingKey: "dataDeletedHeading", messageKey: "dataDeletedMessage")
}

/// Lets through only requests under the secret base path, and of those only
/// the browser that exchanged the one-time secret, but for the exchange
/// itself and the stylesheet (which holds no data).
///
/// Both are needed: the cookie alone would reach another local user's server
/// on another port of 127.0.0.1 (browsers do not separate cookies by port),
/// and the path alone is in the browser's history.
struct AppAuthenticator: RouterMiddleware {
    typealias Context = BasicRequestContext
    let state: AppState
    static let publicPaths: Set<String> = ["/open", "/app.css", "/favicon.svg"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let path = Self.pathInside(request.uri.path, base: state.base) else { throw PageError.closed }
        if !Self.publicPaths.contains(path) {
            guard await state.admits(state.cookie.value(in: request)) else { throw PageError.closed }
        }
        return try await next(request, context)
    }

    /// The part of `path` after `base` ("/" for the base itself), or nil when
    /// `path` is not under it: `/s/abc` is, `/s/abcd` and `/s` are not.
    static func pathInside(_ path: String, base: String) -> String? {
        guard path.hasPrefix(base) else { return nil }
        let rest = path.dropFirst(base.count)
        if rest.isEmpty { return "/" }
        return rest.hasPrefix("/") ? String(rest) : nil
    }
}

/// Sends every page to the passphrase form while the local data is locked,
/// or once the key kept by `field unlock` that opened it is gone.
///
/// A form posted then (a draft saved, a note created or finalized after Lås
/// or the idle lock) is held in memory and carried through the passphrase
/// form, which sends it on once the data is open: what was typed is not lost.
///
/// The draft's autosave script gets a plain 423 instead: fetch follows a
/// redirect, and the passphrase page's 200 would read as "saved" while the
/// text was written nowhere.
struct RequireUnlocked: RouterMiddleware {
    typealias Context = BasicRequestContext
    let state: AppState
    let language: Language?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard await state.currentSession(logger: context.logger) != nil else {
            if await state.isDataDeleted { throw PageError.dataDeleted }
            if request.method == .post, request.uri.path.hasSuffix("/autosave") {
                let text = AppRoutes.catalogues.text("noteSaveRefusedLocked", AppRoutes.language(language, request))
                return Response(status: .init(code: 423, reasonPhrase: "Locked"),
                                headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"), body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
            }
            if request.method == .post, let id = await hold(request) {
                return PageHeaders.redirect(to: state.base + "/unlock?held=" + id)
            }
            return PageHeaders.redirect(to: state.base + "/unlock")
        }
        return try await next(request, context)
    }

    /// The held form's id; nil for what is not a form, or past the largest
    /// form the app reads (it would be refused once sent on anyway).
    private func hold(_ request: Request) async -> String? {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true,
              let body = try? await request.body.collect(upTo: NotePages.maximumFormBytes)
        else { return nil }
        return await state.hold(.init(head: request.head, body: body))
    }
}
