import FieldKit
import Foundation
import Hummingbird
import NIOPosix
import PageKit

/// The passphrase form, shown while the local data is locked (no key kept by
/// `field unlock`, no key file, no FIELD_PASSPHRASE, or the app was locked);
/// for data opened with a key file, a button that opens it with the file.
/// The passphrase travels in a POST body only, never in an address; the
/// opened data, and so the key, stays in the app's memory until the app stops
/// or is locked.
struct UnlockPages: Sendable {
    let state: AppState
    let paths: FieldPaths
    let language: Language?
    /// Set when the data is opened with a key file: the page then has only a
    /// button, which opens it with that file again.
    let keyFile: String?
    let replay: HeldFormReplay

    struct UnlockForm: PageFormBody {
        let csrf: String?
        let passphrase: String?
        /// The id of a form posted while the data was locked (`AppState.hold`).
        let held: String?
    }

    struct Content: Sendable {
        let error: String?
        let detail: String?
        let held: String?
        /// The passphrase page was asked for a held form let go (too many held).
        let heldDropped: Bool
        /// The data is open already (another tab): the held form waits for its button.
        let isOpen: Bool
        let withKeyFile: Bool
    }

    func addRoutes(to router: RouterGroup<BasicRequestContext>) {
        addLockRoute(to: router)
        router.get("unlock") { request, context in
            if !FieldSession.holdsData(paths: paths) { await state.dataDeleted() }
            if await state.isDataDeleted { throw PageError.dataDeleted }
            let asked = request.uri.queryParameters.get("held")
            let held = await state.isHolding(asked) ? asked : nil
            let language = AppRoutes.language(language, request)
            if await state.currentSession(logger: context.logger) != nil {
                // Opened in another tab meanwhile: a GET sends nothing on, so the held form gets a button.
                guard held != nil else { return PageHeaders.redirect(to: state.base + "/") }
                return await page(language, held: held, error: nil, isOpen: true)
            }
            return await page(language, held: held, heldDropped: await state.wasDropped(asked), error: nil)
        }
        router.post("unlock") { request, context in
            let language = AppRoutes.language(language, request)
            let form = try await PageForm.decode(UnlockForm.self, from: request, csrfToken: state.csrfToken,
                                                 limit: AppRoutes.maximumFormBytes)
            if !FieldSession.holdsData(paths: paths) { await state.dataDeleted() }
            if await state.isDataDeleted { throw PageError.dataDeleted }
            // Opened meanwhile (in another tab): the held form goes on at once.
            if await state.currentSession(logger: context.logger) != nil { return try await opened(held: form.held, context: context) }
            let held = await state.isHolding(form.held) ? form.held : nil
            // A passphrase typed after the key file failed is tried as one.
            if let keyFile, form.passphrase == nil {
                return try await openWithKeyFile(keyFile, held: held, language: language, context: context)
            }
            guard let passphrase = form.passphrase, !passphrase.isEmpty else {
                return await page(language, held: held, error: "unlockEmpty", asksPassphrase: true, status: .badRequest)
            }
            switch await state.beginUnlock() {
            case .go: break
            case .busy:
                return await page(language, held: held, error: "unlockBusy", asksPassphrase: true, status: .tooManyRequests)
            case .wait(let remaining):
                let seconds = UnlockThrottle.seconds(remaining)
                var response = await page(language, held: held, error: seconds == 1 ? "unlockWaitOne" : "unlockWaitMany",
                                          arguments: [String(seconds)],
                                          asksPassphrase: true, status: .tooManyRequests)
                response.headers[.retryAfter] = String(seconds)
                return response
            }
            let paths = paths
            do {
                // The key derivation takes a second of CPU: off the threads that answer requests.
                // No environment, so no key kept by `field unlock` is looked up: it
                // would open the data whatever passphrase was typed here.
                let session = try await NIOThreadPool.singleton.runIfActive {
                    try FieldSession.open(paths: paths, secret: { .passphrase(passphrase) }, environment: [:])
                }
                await state.unlocked(session)
                context.logger.notice("local data unlocked")
                return try await opened(held: held, context: context)
            } catch FieldError.wrongPassphrase {
                let seconds = UnlockThrottle.seconds(await state.unlockFailed())
                context.logger.notice("wrong passphrase on the unlock page", metadata: ["wait": "\(seconds) s"])
                return await page(language, held: held, error: seconds == 1 ? "unlockWrongOne" : "unlockWrongMany",
                                  arguments: [String(seconds)], asksPassphrase: true, status: .unauthorized)
            } catch let error as FieldError {
                await state.unlockAbandoned()
                return await page(language, held: held, error: "unlockFailed", detail: error.description, asksPassphrase: true,
                                  status: .internalServerError)
            } catch {
                await state.unlockAbandoned()
                throw error
            }
        }
    }

    struct LockForm: PageFormBody {
        let csrf: String?
    }

    /// The header's Lås button: the app forgets the opened data and its key,
    /// and so does a key kept by `field unlock`, which would otherwise open
    /// the data again for whatever passphrase the form was given.
    func addLockRoute(to router: RouterGroup<BasicRequestContext>) {
        router.post("lock") { request, context in
            _ = try await PageForm.decode(LockForm.self, from: request, csrfToken: state.csrfToken, limit: AppRoutes.maximumFormBytes)
            await state.lock()?.forgetKeptKey()
            FieldSession.lock(paths: paths)
            context.logger.notice("local data locked from the app")
            return PageHeaders.redirect(to: state.base + "/unlock")
        }
    }

    /// The data is open: the held form, if any, is sent on as it was posted
    /// (its CSRF token and cookie checked again); else the first page.
    private func opened(held: String?, context: BasicRequestContext) async throws -> Response {
        if let form = await state.takeHeld(held), let response = try await replay.respond(to: form, context: context) {
            context.logger.notice("a form posted while the data was locked was sent on")
            return response
        }
        return PageHeaders.redirect(to: state.base + "/")
    }

    /// A key file is no secret typed at the laptop: whoever could read it
    /// could open the data anyway, so no passphrase is asked and no wait is
    /// counted. Lås still takes the data and its key out of the app's memory.
    private func openWithKeyFile(_ keyFile: String, held: String?, language: Language, context: BasicRequestContext) async throws -> Response {
        let paths = paths
        do {
            let session = try await NIOThreadPool.singleton.runIfActive {
                try FieldSession.open(paths: paths, secret: { .keyFile(keyFile) }, environment: [:])
            }
            await state.unlocked(session)
            context.logger.notice("local data unlocked with the key file")
            return try await opened(held: held, context: context)
        } catch let error as FieldError {
            // The passphrase field then: the file may be gone while the data still opens with the passphrase.
            return await page(language, held: held, error: "unlockFailed", detail: error.description, asksPassphrase: true,
                              status: .internalServerError)
        }
    }

    private func page(
        _ language: Language, held: String?, heldDropped: Bool = false, error: String?, arguments: [String] = [], detail: String? = nil,
        isOpen: Bool = false, asksPassphrase: Bool = false, status: HTTPResponse.Status = .ok
    ) async -> Response {
        let catalogues = AppRoutes.catalogues
        let frame = AppFrame(lang: language.rawValue, base: state.base, title: catalogues.text("unlockHeading", language), csrf: state.csrfToken,
                             user: nil, sync: nil, onAgenda: false, onCases: false)
        return AppRoutes.renderer.page(
            "unlock",
            AppPage(t: catalogues.texts(for: language), frame: frame,
                    content: Content(error: error.map { catalogues.text($0, language, arguments: arguments) }, detail: detail,
                                     held: held, heldDropped: heldDropped, isOpen: isOpen,
                                     withKeyFile: keyFile != nil && !asksPassphrase)),
            status: status)
    }
}
