/// The entity types and field names of casework (../shared/domain.md). Other
/// types and fields may appear, written by newer versions; they are stored and
/// synced like these, and shown only as raw values.
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
