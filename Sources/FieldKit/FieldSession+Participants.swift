import SyncCore

/// The people around the child.
extension FieldSession {
    /// Adds a participant to the case; returns its id.
    public func addParticipant(to caseID: EntityID, _ draft: ParticipantDraft) async throws -> EntityID {
        try ParticipantRules.check(age: draft.age)
        return try await replica.createEntity(EntityType.participant, inExistingCase: caseID, fields: draft.fields)
    }

    /// Changes a participant; writes only the fields whose value differs from
    /// what this laptop holds. Returns how many changes were written.
    @discardableResult
    public func editParticipant(_ id: EntityID, _ changes: ParticipantChanges) async throws -> Int {
        try ParticipantRules.check(age: changes.age)
        let fields = changes.fields
        return try await replica.write { author, lookup in
            guard var state = try lookup(id), state.entityType == EntityType.participant, !state.isDeleted else {
                throw FieldError.unknownParticipant(id.description)
            }
            return try author.setChanged(fields, on: &state)
        }.count
    }

    /// The case's participants, to be shown: logged as read (`participant-list`).
    public func participants(in caseID: EntityID) async throws -> [Participant] {
        let view = try await loadCase(caseID)
        try await replica.recordRead(caseID: caseID, what: "participant-list")
        return view.participants
    }
}
