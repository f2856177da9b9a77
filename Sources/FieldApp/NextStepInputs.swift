import FieldKit
import PageKit
import SyncCore

/// The fields of a next step that every form setting one shares (a new
/// case's first step, changing the step, the step that follows a done one):
/// what happens, by when, who is responsible.
struct NextStepInputs: Sendable {
    let text: FormInput
    let due: FormInput
    let responsible: FormInput
    /// The form cannot be sent without a step (changing it, or the step after
    /// a done one that the caseworker started filling in).
    let required: Bool
    /// The deadline entered has passed: the form asks to confirm it.
    let askPastDue: Bool
    let pastDueConfirmed: Bool

    /// The fields filled with what the form or the stored step holds.
    static func filled(
        text: String?, due: String?, responsible: String?, required: Bool, check: FormCheck? = nil, askPastDue: Bool = false,
        pastDueConfirmed: Bool = false
    ) -> NextStepInputs {
        let check = check ?? FormCheck(.danish)
        return NextStepInputs(
            text: check.input(Field.text, text), due: check.input(Field.due, due), responsible: check.input(Field.responsible, responsible),
            required: required, askPastDue: askPastDue, pastDueConfirmed: pastDueConfirmed)
    }

    enum Field {
        static let text = "stepText"
        static let due = "stepDue"
        static let responsible = "stepResponsible"
    }
}

/// What a form posts for a next step, by the names `next-step-fields.mustache` gives them.
protocol NextStepFormFields {
    var stepText: String? { get }
    var stepDue: String? { get }
    var stepResponsible: String? { get }
    /// The checkbox that keeps a deadline that has passed.
    var stepPastDue: String? { get }
}

extension NextStepFormFields {
    var isStepBlank: Bool {
        stepText.nonBlank == nil && stepDue.nonBlank == nil
    }

    /// The entered values, with the errors `check` found, to show again.
    func stepInputs(_ check: FormCheck, required: Bool, today: CalendarDate, keptDue: CalendarDate? = nil) -> NextStepInputs {
        let due = stepDue.nonBlank.flatMap(CalendarDate.init)
        return .filled(text: stepText, due: stepDue, responsible: stepResponsible, required: required, check: check,
                       askPastDue: due.map { Self.isNewlyPast($0, today: today, kept: keptDue) } ?? false,
                       pastDueConfirmed: stepPastDue != nil)
    }

    /// The next step the fields give, or nil with their errors in `check`.
    /// `keptDue` is the deadline the step already has: left as it was, a
    /// passed deadline needs no new confirmation.
    func stepDraft(_ check: inout FormCheck, today: CalendarDate, keptDue: CalendarDate? = nil) -> NextStepDraft? {
        let text = check.required(NextStepInputs.Field.text, stepText, "stepTextMissing")
        let responsible = check.required(NextStepInputs.Field.responsible, stepResponsible, "stepResponsibleMissing")
        let due = check.date(NextStepInputs.Field.due, stepDue)
        if stepDue.nonBlank == nil { check.fail(NextStepInputs.Field.due, "stepDueMissing") }
        if let due, Self.isNewlyPast(due, today: today, kept: keptDue), stepPastDue == nil {
            check.fail(NextStepInputs.Field.due, "stepDuePast", DateText(check.language).day(year: due.year, month: due.month, day: due.day))
        }
        guard let text, let due, let responsible, check.passed else { return nil }
        return NextStepDraft(text: text, due: due, responsible: responsible)
    }

    private static func isNewlyPast(_ due: CalendarDate, today: CalendarDate, kept: CalendarDate?) -> Bool {
        due < today && due != kept
    }
}
