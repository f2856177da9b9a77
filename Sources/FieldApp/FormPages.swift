import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// What the pages with forms on a case share: the opened data, the case the
/// address names, the form checked for its CSRF token, the page rendered
/// in the frame of the Sager section.
protocol FormPages: Sendable {
    var state: AppState { get }
    var language: Language? { get }
}

extension FormPages {
    func opened(_ request: Request) async throws -> (FieldSession, Language) {
        guard let session = await state.session else { throw PageError.closed }
        return (session, AppRoutes.language(language, request))
    }

    /// The case the address names, logged as read (`case-show`): every form
    /// on a case shows what the case holds.
    func openCase(_ id: String, in session: FieldSession) async throws -> CaseView {
        guard let caseID = EntityID(id) else { throw PageError.caseNotFound }
        do {
            return try await session.openCase(caseID)
        } catch FieldError.notACase, FieldError.unknownID {
            throw PageError.caseNotFound
        }
    }

    /// `limit`: the small forms' by default; a form that may carry a note's
    /// text (a merged value) passes the note form's.
    func decode<Form: PageFormBody>(_ type: Form.Type, _ request: Request, limit: Int = AppRoutes.maximumFormBytes) async throws -> Form {
        try await PageForm.decode(type, from: request, csrfToken: state.csrfToken, limit: limit)
    }

    /// A page of the Sager section; `titleKey` names its window title, a
    /// generic word (never the case's title, which goes into the history).
    func render<Content: Sendable>(
        _ template: String, titleKey: String, content: Content, language: Language, session: FieldSession,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let catalogues = AppRoutes.catalogues
        let frame = try await AppFrame.make(title: catalogues.text(titleKey, language), section: .cases, language: language,
                                            state: state, reads: session)
        return AppRoutes.renderer.page(template, AppPage(t: catalogues.texts(for: language), frame: frame, content: content),
                                       status: status)
    }

    func caseLink(_ id: EntityID) -> String {
        "\(state.base)/cases/\(id)"
    }
}

/// The case a form is about, as its page names it above the form.
struct CaseHeading: Sendable {
    let title: String
    let citizenReference: String?
    let link: String
}

extension CaseView {
    func heading(link: String, language: Language) -> CaseHeading {
        CaseHeading(title: record?.title ?? AppRoutes.catalogues.text("untitled", language),
                    citizenReference: record?.citizenReference, link: link)
    }
}

extension PageError {
    static let participantNotFound = PageError(
        status: .notFound, headingKey: "participantNotFoundHeading", messageKey: "participantNotFoundMessage")
    /// The case's next step changed after the form was opened (another tab,
    /// or a sync): what the form would change is no longer what it showed.
    static let nextStepChanged = PageError(status: .conflict, headingKey: "nextStepChangedHeading", messageKey: "nextStepChangedMessage")
    /// Two next steps compete: a supervisor settles which one holds first.
    static let nextStepsCompeting = PageError(
        status: .conflict, headingKey: "nextStepsCompetingHeading", messageKey: "nextStepsCompetingMessage")
    static let noCurrentNextStep = PageError(status: .conflict, headingKey: "noCurrentNextStepHeading", messageKey: "noCurrentNextStepMessage")

    static let formPageKeys: [String] = [participantNotFound, nextStepChanged, nextStepsCompeting, noCurrentNextStep]
        .flatMap { [$0.headingKey, $0.messageKey] }
}

extension FormPages {
    /// The case the address names, for a check before a change: not logged
    /// as read, since nothing of it is shown.
    func checkedCase(_ id: String, in session: FieldSession) async throws -> CaseView {
        guard let caseID = EntityID(id) else { throw PageError.caseNotFound }
        do {
            return try await session.caseView(caseID.description)
        } catch FieldError.notACase, FieldError.unknownID {
            throw PageError.caseNotFound
        }
    }
}
