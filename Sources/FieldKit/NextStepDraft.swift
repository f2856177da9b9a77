import SyncCore

/// What happens next in a case, who does it and by when, as the family should be told.
public struct NextStepDraft: Sendable, Hashable {
    public var text: String
    public var due: CalendarDate
    /// Who is responsible; nil for the user who sets it.
    public var responsible: String?

    public init(text: String, due: CalendarDate, responsible: String? = nil) {
        (self.text, self.due, self.responsible) = (text, due, responsible)
    }

    func fields(defaultResponsible user: String) -> [(String, JSONValue)] {
        [(NextStep.Field.text, .string(text)), (NextStep.Field.due, .string(due.description)),
         (NextStep.Field.responsible, .string(responsible ?? user)), (NextStep.Field.status, .string(NextStep.Status.open.rawValue))]
    }
}
