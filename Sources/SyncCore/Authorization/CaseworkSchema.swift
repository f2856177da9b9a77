/// The whitelist of what may be written: for each entity type, the operation
/// kinds it accepts and its fields; for each field, its shape (single-valued
/// or a set), the form of its values and who may write it. Anything not named
/// here is refused (Protocol.md §5), on the server when it is pushed and on a
/// laptop when it is pulled. A later version that needs another type, field
/// or kind adds it here and raises the operation `version` (§4).
public enum CaseworkSchema {
    public enum Shape: Sendable {
        /// Written with `set` (and settled with `resolve`).
        case single
        /// Written with `add` and `remove`.
        case set
    }

    /// The form of a value (or of a set's element). Enumerations stay open
    /// (§5): a value this version does not know is text like any other.
    public enum ValueForm: String, Sendable {
        case text, date, boolean, integer, userID = "user id", entityID = "entity id"
        /// The entity id of a next step of the same case. The form is checked
        /// here; that it names such a step, held or created earlier in the
        /// batch, is checked by `WriteRules` with the batch.
        case nextStepID = "next step of the same case (its entity id)"

        /// Whether `value` has this form. `null` clears a single-valued field.
        public func accepts(_ value: JSONValue) -> Bool {
            switch (self, value) {
            case (_, .null): true
            case (.text, .string): true
            case (.date, .string(let text)): CalendarDate(text) != nil
            case (.boolean, .bool): true
            case (.integer, .integer): true
            case (.userID, .string(let text)): UserID(text) != nil
            case (.entityID, .string(let text)), (.nextStepID, .string(let text)): EntityID(text) != nil
            default: false
            }
        }
    }

    /// Who may write a field, besides being allowed into the case at all.
    public enum Writers: Sendable {
        /// Anyone who may write the case: its members, supervisors, admins.
        case caseWriters
        /// Supervisors and admins only: the fields that decide who may read
        /// the case. A caseworker may write them only to enrol themselves in
        /// the batch that creates the case (`WriteRules`).
        case membershipManagers
    }

    public struct Field: Sendable {
        public let shape: Shape
        public let form: ValueForm
        public let writers: Writers

        static func single(_ form: ValueForm, writers: Writers = .caseWriters) -> Field {
            Field(shape: .single, form: form, writers: writers)
        }

        static func set(_ form: ValueForm, writers: Writers = .caseWriters) -> Field {
            Field(shape: .set, form: form, writers: writers)
        }
    }

    public struct Entity: Sendable {
        /// The operation kinds (`Operation.kindName`) the type accepts.
        public let kinds: Set<String>
        public let fields: [String: Field]
    }

    /// Every entity type this version writes and accepts.
    ///
    /// A case is never deleted or finalized: a tombstone or a frozen record
    /// on the case entity would hide or freeze who may read it (its
    /// `members`), and erasing case records is an archival decision outside
    /// sync (§6.3). A note is a journal record from the moment it is written,
    /// so it is never deleted either; it is finalized instead. Participants
    /// and next steps entered by mistake may be deleted (a tombstone, §6.3).
    public static let entities: [String: Entity] = [
        EntityType.caseFile: Entity(
            kinds: ["create", "set", "add", "remove", "resolve"],
            fields: [
                Case.Field.title: .single(.text),
                Case.Field.citizenReference: .single(.text),
                Case.Field.status: .single(.text),
                Case.Field.primaryCaseworker: .single(.userID, writers: .membershipManagers),
                Case.Field.members: .set(.userID, writers: .membershipManagers),
                Case.Field.nextStep: .single(.nextStepID),
            ]),
        EntityType.note: Entity(
            kinds: ["create", "set", "add", "remove", "finalize", "resolve"],
            fields: [
                Note.Field.kind: .single(.text),
                Note.Field.title: .single(.text),
                Note.Field.place: .single(.text),
                Note.Field.date: .single(.date),
                Note.Field.body: .single(.text),
                Note.Field.familyView: .single(.text),
                Note.Field.childView: .single(.text),
                Note.Field.agreements: .single(.text),
                Note.Field.childPresent: .single(.boolean),
                Note.Field.present: .set(.entityID),
            ]),
        EntityType.participant: Entity(
            kinds: ["create", "set", "delete", "resolve"],
            fields: [
                Participant.Field.name: .single(.text),
                Participant.Field.contact: .single(.text),
                Participant.Field.role: .single(.text),
                Participant.Field.age: .single(.integer),
                Participant.Field.consent: .single(.text),
                Participant.Field.voice: .single(.text),
            ]),
        EntityType.nextStep: Entity(
            kinds: ["create", "set", "delete", "resolve"],
            fields: [
                NextStep.Field.text: .single(.text),
                NextStep.Field.responsible: .single(.text),
                NextStep.Field.due: .single(.date),
                NextStep.Field.status: .single(.text),
            ]),
    ]

    /// Every operation kind of the protocol (§4), for the tests' matrix.
    public static let allKinds = ["create", "set", "add", "remove", "delete", "finalize", "resolve"]
}
