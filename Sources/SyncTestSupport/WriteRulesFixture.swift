import SyncCore

/// The write rules' test matrix (Protocol.md §5.1): the outcome of every
/// operation kind on every entity type (an unknown one included) for every
/// role, member or not, written out cell by cell from the protocol and not
/// derived from the code; and a case to try them on. Used by the pure test
/// of `WriteRules` and by the server's push test, so both answer the same table.
public enum WriteRulesFixture {
    public static let unknownType = "meetingRecording"
    public static let types = [EntityType.caseFile, EntityType.note, EntityType.participant, EntityType.nextStep, unknownType]

    /// The expected refusal code, nil when the operation is accepted. The
    /// field each kind writes: on a case the membership fields (`members` for
    /// add and remove, `primaryCaseworker` for set and resolve); on a note
    /// `present` and `body`; on a participant `name`, on a next step `text`.
    public static func expected(kind: String, type: String, role: UserRole, member: Bool) -> String? {
        let known = type != unknownType
        // A create of a case makes a new case, which is nobody's yet.
        if kind == "create" && type == EntityType.caseFile { return nil }
        if role == .caseworker && !member { return "not-a-member" }
        guard known else { return "unknown-entity-type" }
        if kind == "create" { return nil }
        switch (kind, type) {
        case ("delete", EntityType.caseFile), ("delete", EntityType.note): return "kind-not-allowed"
        case ("delete", _): return nil
        case ("finalize", EntityType.note): return nil
        case ("finalize", _): return "kind-not-allowed"
        case ("add", EntityType.participant), ("add", EntityType.nextStep),
             ("remove", EntityType.participant), ("remove", EntityType.nextStep): return "kind-not-allowed"
        default: break
        }
        if role == .caseworker {
            if type == EntityType.caseFile { return "membership-change-not-allowed" }
            if kind == "resolve" { return "resolution-not-allowed" }
        }
        return nil
    }

    /// A case held with a note, a participant and a next step, and one entity
    /// of a type this version does not accept, stored by an earlier version.
    public struct Fixture {
        public var random = SeededRandom(seed: 7)
        public var state = ReplicaState()
        public var held = HeldEntityIndex()
        public var caseID: EntityID!
        public var entities: [String: EntityID] = [:]

        public init() throws {
            var anna = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("anna")!, wallClock: ManualWallClock(milliseconds: 1_795_000_000_000))
            let created = anna.create(EntityType.caseFile, inCase: nil, using: &random)
            caseID = created.entity
            try apply([created])
            try apply([try anna.add("anna", to: Case.Field.members, on: state.entity(caseID)!),
                       try anna.set(Case.Field.primaryCaseworker, to: "anna", on: state.entity(caseID)!)])
            entities[EntityType.caseFile] = caseID
            for (type, field) in [(EntityType.participant, Participant.Field.name), (EntityType.note, Note.Field.body),
                                  (EntityType.nextStep, NextStep.Field.text), (WriteRulesFixture.unknownType, "title")] {
                let entity = anna.create(type, inCase: caseID, using: &random)
                try apply([entity])
                try apply([try anna.set(field, to: "text", on: state.entity(entity.entity)!)])
                entities[type] = entity.entity
            }
            try apply([try anna.add(.string(entities[EntityType.participant]!.description), to: Note.Field.present,
                                    on: state.entity(entities[EntityType.note]!)!)])
        }

        public mutating func apply(_ operations: [Operation]) throws {
            try state.apply(operations)
            held.record(operations)
        }

        /// The operation of `kind` on the fixture's entity of `type`, written by `author`.
        public mutating func operation(_ kind: String, on type: String, by author: inout OperationAuthor) throws -> Operation {
            let entity = state.entity(entities[type]!)!
            let (singleField, setField): (String, String) = switch type {
            case EntityType.caseFile: (Case.Field.primaryCaseworker, Case.Field.members)
            case EntityType.note: (Note.Field.body, Note.Field.present)
            case EntityType.participant: (Participant.Field.name, Participant.Field.name)
            case EntityType.nextStep: (NextStep.Field.text, NextStep.Field.text)
            default: ("title", "title")
            }
            let userValue: JSONValue = .string(author.user.name)
            let singleValue: JSONValue = type == EntityType.caseFile ? userValue : "new text"
            let setElement: JSONValue = switch type {
            case EntityType.caseFile: userValue
            case EntityType.note: .string(entities[EntityType.participant]!.description)
            default: "element"
            }
            // Written as the field client would, then given the change under test.
            let template = author.delete(entity)
            let change: Operation.Change
            switch kind {
            case "create": return author.create(type, inCase: type == EntityType.caseFile ? nil : caseID, using: &random)
            case "set": return try author.set(singleField, to: singleValue, on: entity)
            case "add": change = .add(field: setField, element: setElement)
            case "remove":
                let element = entity.elements(of: setField).first ?? setElement
                change = .remove(field: setField, element: element, predecessors: entity.liveTags(of: element, in: setField))
            case "delete": return template
            case "finalize": change = .finalize(context: entity.finalizationContext())
            case "resolve":
                change = .resolve(field: singleField, value: singleValue, supersedes: entity.concurrentOperations(of: singleField), reason: "settled")
            default: preconditionFailure("unknown kind \(kind)")
            }
            return Operation(id: template.id, seq: template.seq, author: template.author, caseID: template.caseID,
                             entity: template.entity, change: change)
        }
    }

    public static let cells: [(String, String)] = CaseworkSchema.allKinds.flatMap { kind in types.map { (kind, $0) } }
}
