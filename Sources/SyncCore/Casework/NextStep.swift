/// What happens next in a case, who does it and by when: what the family is
/// told ("feedforward").
public struct NextStep: Hashable, Sendable {
    public enum Field {
        public static let text = "text"
        public static let responsible = "responsible"
        public static let due = "due"
        public static let status = "status"
    }

    public struct Status: OpenEnumeration {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let open = Status(rawValue: "open")
        public static let done = Status(rawValue: "done")
        public static let cancelled = Status(rawValue: "cancelled")
        public static let known: [Status] = [.open, .done, .cancelled]
    }

    public let id: EntityID
    public let caseID: EntityID
    public let text: String?
    public let responsible: String?
    public let due: CalendarDate?
    public let status: Status

    public init?(_ state: EntityState) {
        guard state.entityType == EntityType.nextStep else { return nil }
        id = state.id
        caseID = state.caseID
        text = state.string(Field.text)
        responsible = state.string(Field.responsible)
        due = state.date(Field.due)
        status = state.string(Field.status).map(Status.init(rawValue:)) ?? .open
    }

    public func isOverdue(today: CalendarDate) -> Bool {
        status == .open && (due.map { $0 < today } ?? false)
    }
}
