/// The entity types and field names of casework (docs/domain.md). What may be
/// written of them is `CaseworkSchema`; any other type or field is refused by
/// the write rules, and a later version that needs one raises the operation
/// `version` (Protocol.md §5.1).
public enum EntityType {
    public static let caseFile = "case"
    public static let note = "note"
    public static let participant = "participant"
    public static let nextStep = "nextStep"
}

extension EntityState {
    func string(_ field: String) -> String? { value(of: field)?.stringValue }
    func date(_ field: String) -> CalendarDate? { string(field).flatMap(CalendarDate.init) }
    func strings(_ field: String) -> [String] { elements(of: field).compactMap(\.stringValue) }
}
