import FieldKit
import Foundation
import Hummingbird
import NIOPosix
import PageKit

/// The passphrase form, shown while the local data is locked (no key kept by
/// `field unlock`, no key file, no FIELD_PASSPHRASE). The passphrase travels
/// in a POST body only, never in an address; the opened data, and so the key,
/// stays in the app's memory while it runs.
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
        router.get("unlock") { request, _ in
            if await state.session != nil { return PageHeaders.redirect(to: state.base + "/") }
            return await page(AppRoutes.language(language, request), error: nil)
        }
        router.post("unlock") { request, context in
            let language = AppRoutes.language(language, request)
            let form = try await PageForm.decode(UnlockForm.self, from: request, csrfToken: state.csrfToken,
                                                 limit: AppRoutes.maximumFormBytes)
            if await state.session != nil { return PageHeaders.redirect(to: state.base + "/") }
            guard let passphrase = form.passphrase, !passphrase.isEmpty else {
                return await page(language, error: "unlockEmpty", status: .badRequest)
            }
            let paths = paths
            do {
                // The key derivation takes a second of CPU: off the threads that answer requests.
                let session = try await NIOThreadPool.singleton.runIfActive {
                    try FieldSession.open(paths: paths, secret: { .passphrase(passphrase) })
                }
                await state.unlocked(session)
                context.logger.notice("local data unlocked")
                return PageHeaders.redirect(to: state.base + "/")
            } catch FieldError.wrongPassphrase {
                return await page(language, error: "unlockWrong", status: .unauthorized)
            } catch let error as FieldError {
                return await page(language, error: "unlockFailed", detail: error.description, status: .internalServerError)
            }
        }
    }

    private func page(_ language: Language, error: String?, detail: String? = nil, status: HTTPResponse.Status = .ok) async -> Response {
        let catalogues = AppRoutes.catalogues
        let frame = AppFrame(lang: language.rawValue, base: state.base, title: catalogues.text("unlockHeading", language), csrf: state.csrfToken,
                             user: nil, sync: nil, onAgenda: false, onCases: false)
        return AppRoutes.renderer.page(
            "unlock",
            AppPage(t: catalogues.texts(for: language), frame: frame,
                    content: Content(error: error.map { catalogues.text($0, language) }, detail: detail)),
            status: status)
    }
}
