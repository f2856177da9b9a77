import SyncCore

/// One conflict as its own page shows it: the record with every value, the
/// case and the entity it is in, and the next steps that a conflict over a
/// case's current step names by id.
public struct ConflictDetail: Sendable {
    /// Open; or, when it was settled since it was listed, the latest
    /// resolution of the same field (`isOpen` false).
    public let conflict: ConflictRecord
    public let caseState: EntityState
    public let entity: EntityState
    public let nextSteps: [EntityID: NextStep]

    /// The step a value of a conflict over a case's current next step names.
    public func nextStep(named value: JSONValue) -> NextStep? {
        value.stringValue.flatMap(EntityID.init).flatMap { nextSteps[$0] }
    }
}

extension FieldSession {
    /// The conflict `id` (as `openConflicts` lists it), to be shown: logged
    /// as read (`conflicts`, naming the entity). A conflict settled since it
    /// was listed comes back as its resolution, so that a page opened
    /// before can say so.
    public func conflict(_ id: String) async throws -> ConflictDetail {
        // An open conflict's id starts with its entity's: only that case is read.
        guard let entityID = id.split(separator: "/", maxSplits: 1).first.flatMap({ EntityID($0) }),
              let held = try await replica.entity(entityID),
              let (caseState, entities) = try await replica.caseAndEntities(held.caseID), !caseState.isDeleted,
              let entity = ([caseState] + entities).first(where: { $0.id == entityID })
        else { throw FieldError.unknownID(id) }
        let records = entity.conflicts()
        // The latest resolution of the field the id names.
        let settled = records.compactMap { record in record.resolution.map { (record: record, by: $0.operation) } }
            .filter { id.hasPrefix("\(entityID)/\($0.record.field)/") }
            .max { $0.by < $1.by }?.record
        let found = records.first { $0.id == id && $0.isOpen } ?? settled
        guard let conflict = found else { throw FieldError.unknownID(id) }
        var steps: [EntityID: NextStep] = [:]
        if conflict.isBetweenNextSteps {
            for step in entities.compactMap(NextStep.init) { steps[step.id] = step }
        }
        try await replica.recordRead(caseID: caseState.id, entity: entityID, what: "conflicts")
        return ConflictDetail(conflict: conflict, caseState: caseState, entity: entity, nextSteps: steps)
    }

    /// Whether this user may settle conflicts (supervisors and admins): the
    /// pages offer the form only then.
    public var maySettleConflicts: Bool {
        (try? requireMembershipRole()) != nil
    }
}
