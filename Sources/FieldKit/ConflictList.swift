import SyncCore

/// The open conflicts of one case or of every case, with the next steps that
/// a conflict over a case's current step names by id.
public struct ConflictList: Sendable {
    public let conflicts: [ConflictRecord]
    public let nextSteps: [EntityID: NextStep]
    /// The cases listed and the entities in conflict, by id: what names them.
    public let entities: [EntityID: EntityState]

    init(conflicts: [ConflictRecord], nextSteps: [EntityID: NextStep], entities: [EntityID: EntityState] = [:]) {
        self.conflicts = conflicts
        self.nextSteps = nextSteps
        self.entities = entities
    }

    /// The step a value of a conflict over a case's current next step names.
    public func nextStep(named value: JSONValue) -> NextStep? {
        value.stringValue.flatMap(EntityID.init).flatMap { nextSteps[$0] }
    }
}

extension ConflictRecord {
    /// Competing next steps of a case: settled by keeping one of them.
    public var isBetweenNextSteps: Bool { entityType == EntityType.caseFile && field == Case.Field.nextStep }
}
