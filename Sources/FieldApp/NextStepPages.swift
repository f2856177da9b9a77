import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// Feedforward from the case page: set or change the case's next step, or
/// mark it done and set the one that follows in the same change, so the
/// family can always be told what happens next.
///
/// Each form carries the id of the step it showed: if the case's step has
/// changed since (another tab, a sync), the form changes nothing and says so,
/// rather than overwrite or close a step the caseworker has not seen.
struct NextStepPages: FormPages {
    let state: AppState
    let language: Language?

    struct StepForm: PageFormBody, NextStepFormFields {
        let csrf: String?
        /// The id of the step the form showed; empty when the case had none.
        let step: String?
        let stepText: String?
        let stepDue: String?
        let stepResponsible: String?
        let stepPastDue: String?
    }

    struct ShownStep: Sendable {
        let text: String
        let due: String?
        let responsible: String?
        let overdue: Bool
    }

    struct Content: Sendable {
        let heading: CaseHeading
        let action: String
        let stepID: String
        /// Marking the current step done; else setting the next step.
        let completing: Bool
        /// The step being changed or marked done.
        let current: ShownStep?
        let step: NextStepInputs
        let hasErrors: Bool
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("cases/:id/next-step") { request, context in
            let (session, language) = try await opened(request)
            let view = try await openCase(try context.parameters.require("id"), in: session)
            let current = try Self.current(view, required: false)
            let inputs = NextStepInputs.filled(
                text: current?.text, due: current?.due?.description, responsible: current?.responsible ?? session.settings.user,
                required: true)
            return try await page(view, completing: false, inputs: inputs, check: FormCheck(language), session: session)
        }
        group.post("cases/:id/next-step") { request, context in
            let (session, language) = try await opened(request)
            let form = try await decode(StepForm.self, request)
            let id = try context.parameters.require("id")
            let view = try await checkedCase(id, in: session)
            let current = try Self.current(view, required: false, shown: form.step ?? "")
            var check = FormCheck(language)
            let today = CasePages.today()
            guard let draft = form.stepDraft(&check, today: today, keptDue: current?.due) else {
                return try await page(try await openCase(id, in: session), completing: false,
                                      inputs: form.stepInputs(check, required: true, today: today, keptDue: current?.due), check: check,
                                      session: session)
            }
            try await session.setNextStep(in: view.caseState.id, draft)
            return PageHeaders.redirect(to: caseLink(view.caseState.id) + "#next-step")
        }
        group.get("cases/:id/next-step/done") { request, context in
            let (session, language) = try await opened(request)
            let view = try await openCase(try context.parameters.require("id"), in: session)
            _ = try Self.current(view, required: true)
            let inputs = NextStepInputs.filled(text: nil, due: nil, responsible: session.settings.user, required: false)
            return try await page(view, completing: true, inputs: inputs, check: FormCheck(language), session: session)
        }
        group.post("cases/:id/next-step/done") { request, context in
            let (session, language) = try await opened(request)
            let form = try await decode(StepForm.self, request)
            let id = try context.parameters.require("id")
            let view = try await checkedCase(id, in: session)
            _ = try Self.current(view, required: true, shown: form.step ?? "")
            var check = FormCheck(language)
            let today = CasePages.today()
            // The case may end here: with the fields left blank, no step follows.
            let following = form.isStepBlank ? nil : form.stepDraft(&check, today: today)
            guard check.passed else {
                return try await page(try await openCase(id, in: session), completing: true,
                                      inputs: form.stepInputs(check, required: true, today: today), check: check, session: session)
            }
            try await session.completeNextStep(in: view.caseState.id, then: following)
            return PageHeaders.redirect(to: caseLink(view.caseState.id) + "#next-step")
        }
    }

    /// The case's current step, checked against the one the form showed
    /// (`shown`, when a form was posted). While two steps compete, neither is
    /// changed here: a supervisor settles which one holds first.
    private static func current(_ view: CaseView, required: Bool, shown: String? = nil) throws -> NextStep? {
        let plan = view.nextStepPlan
        if plan.isInConflict { throw PageError.nextStepsCompeting }
        if required, plan.current == nil { throw PageError.noCurrentNextStep }
        if let shown, shown != (plan.current?.id.description ?? "") { throw PageError.nextStepChanged }
        return plan.current
    }

    private func page(
        _ view: CaseView, completing: Bool, inputs: NextStepInputs, check: FormCheck, session: FieldSession
    ) async throws -> Response {
        let language = check.language
        let caseLink = caseLink(view.caseState.id)
        let current = view.nextStepPlan.current
        let content = Content(
            heading: view.heading(link: caseLink, language: language),
            action: caseLink + (completing ? "/next-step/done" : "/next-step"), stepID: current?.id.description ?? "",
            completing: completing,
            current: current.map { step in
                ShownStep(text: step.text ?? AppRoutes.catalogues.text("noText", language),
                          due: step.due.map { DateText(language).day(year: $0.year, month: $0.month, day: $0.day) },
                          responsible: step.responsible, overdue: step.isOverdue(today: CasePages.today()))
            },
            step: inputs, hasErrors: !check.passed)
        return try await render("next-step", titleKey: completing ? "nextStepDoneHeading" : "nextStepHeading", content: content,
                                language: language, session: session, status: check.passed ? .ok : .unprocessableContent)
    }
}
