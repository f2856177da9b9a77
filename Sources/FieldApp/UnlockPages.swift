import FieldKit
import Foundation
import Hummingbird
import NIOPosix
import PageKit

/// The passphrase form, shown while the local data is locked (no key kept by
/// `field unlock`, no key file, no FIELD_PASSPHRASE, or the app was locked).
/// The passphrase travels in a POST body only, never in an address; the
/// opened data, and so the key, stays in the app's memory until the app stops
/// or is locked.
struct UnlockPages: Sendable {
    let state: AppState
    let paths: FieldPaths
    let language: Language?

    struct UnlockForm: PageFormBody {
        let csrf: String?
        let passphrase: String?
    }

    struct Content: Sendable {
        let error: String?
        let detail: String?
    }

    func addRoutes(to router: RouterGroup<BasicRequestContext>) {
        addLockRoute(to: router)
        router.get("unlock") { request, context in
            if await state.isDataDeleted { throw PageError.dataDeleted }
            if await state.currentSession(logger: context.logger) != nil { return PageHeaders.redirect(to: state.base + "/") }
            return await page(AppRoutes.language(language, request), error: nil)
        }
        router.post("unlock") { request, context in
            let language = AppRoutes.language(language, request)
            let form = try await PageForm.decode(UnlockForm.self, from: request, csrfToken: state.csrfToken,
                                                 limit: AppRoutes.maximumFormBytes)
            if await state.currentSession(logger: context.logger) != nil { return PageHeaders.redirect(to: state.base + "/") }
            if await state.isDataDeleted { throw PageError.dataDeleted }
            guard let passphrase = form.passphrase, !passphrase.isEmpty else {
                return await page(language, error: "unlockEmpty", status: .badRequest)
            }
            switch await state.beginUnlock() {
            case .go: break
            case .busy:
                return await page(language, error: "unlockBusy", status: .tooManyRequests)
            case .wait(let remaining):
                let seconds = UnlockThrottle.seconds(remaining)
                var response = await page(language, error: seconds == 1 ? "unlockWaitOne" : "unlockWaitMany", arguments: [String(seconds)],
                                          status: .tooManyRequests)
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
                return PageHeaders.redirect(to: state.base + "/")
            } catch FieldError.wrongPassphrase {
                let seconds = UnlockThrottle.seconds(await state.unlockFailed())
                context.logger.notice("wrong passphrase on the unlock page", metadata: ["wait": "\(seconds) s"])
                return await page(language, error: seconds == 1 ? "unlockWrongOne" : "unlockWrongMany", arguments: [String(seconds)],
                                  status: .unauthorized)
            } catch let error as FieldError {
                await state.unlockAbandoned()
                return await page(language, error: "unlockFailed", detail: error.description, status: .internalServerError)
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

    private func page(
        _ language: Language, error: String?, arguments: [String] = [], detail: String? = nil, status: HTTPResponse.Status = .ok
    ) async -> Response {
        let catalogues = AppRoutes.catalogues
        let frame = AppFrame(lang: language.rawValue, base: state.base, title: catalogues.text("unlockHeading", language), csrf: state.csrfToken,
                             user: nil, sync: nil, onAgenda: false, onCases: false)
        return AppRoutes.renderer.page(
            "unlock",
            AppPage(t: catalogues.texts(for: language), frame: frame,
                    content: Content(error: error.map { catalogues.text($0, language, arguments: arguments) }, detail: detail)),
            status: status)
    }
}
