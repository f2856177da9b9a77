import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// The form that creates a case ("Ny sag"): title, the municipality's
/// citizen reference, and, best given at once, the first next step.
struct CaseFormPages: FormPages {
    let state: AppState
    let language: Language?

    struct NewCaseForm: PageFormBody, NextStepFormFields {
        let csrf: String?
        let title: String?
        let citizenReference: String?
        let stepText: String?
        let stepDue: String?
        let stepResponsible: String?
        let stepPastDue: String?
    }

    struct Content: Sendable {
        let title: FormInput
        let citizenReference: FormInput
        let step: NextStepInputs
        let hasErrors: Bool
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("cases/new") { request, _ in
            let (session, language) = try await opened(request)
            let content = Content(title: FormInput(value: "", error: nil), citizenReference: FormInput(value: "", error: nil),
                                  step: .filled(text: nil, due: nil, responsible: session.settings.user, required: false),
                                  hasErrors: false)
            return try await render("case-new", titleKey: "newCaseHeading", content: content, language: language, session: session)
        }
        group.post("cases/new") { request, _ in
            let (session, language) = try await opened(request)
            let form = try await decode(NewCaseForm.self, request)
            var check = FormCheck(language)
            let title = check.required("title", form.title, "caseTitleMissing")
            let reference = form.citizenReference.nonBlank
            if let reference, CitizenReference.holdsFullCPR(reference) { check.fail("citizenReference", "citizenReferenceIsCPR") }
            let today = CasePages.today()
            // The first step is optional, but one begun must be complete.
            let step = form.isStepBlank ? nil : form.stepDraft(&check, today: today)
            guard let title, check.passed else {
                let content = Content(title: check.input("title", form.title),
                                      citizenReference: check.input("citizenReference", form.citizenReference),
                                      step: form.stepInputs(check, required: !form.isStepBlank, today: today), hasErrors: true)
                return try await render("case-new", titleKey: "newCaseHeading", content: content, language: language, session: session,
                                        status: .unprocessableContent)
            }
            let id = try await session.createCase(title: title, citizenReference: reference)
            if let step { try await session.setNextStep(in: id, step) }
            return PageHeaders.redirect(to: caseLink(id))
        }
    }
}
