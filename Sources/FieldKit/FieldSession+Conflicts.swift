import Foundation
import SyncCore

/// Conflicts: concurrent values of a field, and edits that reached a note
/// after it was finalized. Anyone sees them; supervisors settle them.
extension FieldSession {
    /// The open conflicts of the case, or of every case on this laptop. Each
    /// case with an open conflict is logged as read (`conflicts`).
    public func openConflicts(in caseID: EntityID? = nil) async throws -> ConflictList {
        var caseIDs: [EntityID] = []
        if let caseID { caseIDs = [caseID] } else { caseIDs = try await replica.casesWithOpenConflicts() }
        var conflicts: [ConflictRecord] = []
        var steps: [EntityID: NextStep] = [:]
        var read: [EntityID] = []
        var involved: [EntityID: EntityState] = [:]
        for caseID in caseIDs {
            let entities = try await replica.entities(inCase: caseID)
            let found = entities.flatMap { $0.conflicts() }.filter(\.isOpen)
            if !found.isEmpty { read.append(caseID) }
            conflicts += found
            let named = Set(found.map(\.entity)).union([caseID])
            for entity in entities where named.contains(entity.id) { involved[entity.id] = entity }
            if found.contains(where: { $0.field == Case.Field.nextStep }) {
                for step in entities.compactMap(NextStep.init) { steps[step.id] = step }
            }
        }
        try await replica.recordReads(of: read, what: "conflicts")
        return ConflictList(conflicts: conflicts, nextSteps: steps, entities: involved)
    }

    /// Settles the open conflict `id` (supervisors and admins), with a reason
    /// that becomes part of the record. Competing next steps are settled by
    /// keeping one of them. `shownValues`, when given, are the ids of the
    /// values the decider saw, in order: a value that arrived since (a sync
    /// in the background) is never overruled unseen.
    public func resolveConflict(_ id: String, _ choice: ConflictChoice, reason: String, shownValues: [OperationID]? = nil) async throws {
        try requireMembershipRole()
        // An open conflict's id starts with its entity's.
        guard let entityID = id.split(separator: "/", maxSplits: 1).first.flatMap({ EntityID($0) }) else {
            throw FieldError.unknownID(id)
        }
        // Found, checked and settled in one write: what is settled is what
        // the replica holds at that moment, not what a lookup before it saw.
        try await replica.write { author, entity in
            guard let state = try entity(entityID), let conflict = state.conflicts().first(where: { $0.id == id && $0.isOpen }) else {
                throw FieldError.unknownID(id)
            }
            if let shownValues, conflict.values.map(\.operation) != shownValues { throw FieldError.conflictChanged(id) }
            if choice == .keepAsFinalized, conflict.kind == .editAfterFinalization, !Self.mayKeepAsFinalized(conflict, in: state) {
                throw FieldError.cannotKeepAsFinalized(id)
            }
            let value = try Self.value(choice, settling: conflict, finalized: state.value(of: conflict.field))
            return [try author.resolve(conflict, with: value, reason: reason)]
        }
    }

    /// Whether the late change of `conflict` can be settled by keeping the
    /// note as it was finalized: a single-valued field that the record holds
    /// one value of, or none. A list (the participants present) or a field
    /// the note was finalized with two values of is settled by picking.
    public static func mayKeepAsFinalized(_ conflict: ConflictRecord, in entity: EntityState) -> Bool {
        guard conflict.kind == .editAfterFinalization, let type = conflict.entityType,
              CaseworkSchema.entities[type]?.fields[conflict.field]?.shape == .single else { return false }
        return entity.concurrentOperations(of: conflict.field).count <= 1
    }

    /// `finalized`: the field's value as the note was finalized, nil when it
    /// had none.
    static func value(_ choice: ConflictChoice, settling conflict: ConflictRecord, finalized: JSONValue? = nil) throws -> JSONValue {
        let form = conflict.entityType.flatMap { CaseworkSchema.entities[$0]?.fields[conflict.field]?.form }
        switch choice {
        case .keepAsFinalized:
            guard conflict.kind == .editAfterFinalization else { throw FieldError.notALateChange(conflict.id) }
            // `null` leaves a field empty (Protocol.md §5).
            return finalized ?? .null
        case .value(let number):
            guard number >= 1, number <= conflict.values.count else {
                throw FieldError.noSuchValue(pick: number, count: conflict.values.count)
            }
            return conflict.values[number - 1].value
        case .merged(let text):
            // A merged value of two steps means nothing: one of them holds.
            if form == .nextStepID { throw FieldError.mergedNextStep }
            // The same rule as a new case's: no CPR number on the laptop.
            if conflict.field == Case.Field.citizenReference, CitizenReference.holdsFullCPR(text) { throw FieldError.citizenReferenceIsCPR }
            guard let form, form != .text else { return .string(text) }
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let parsed = try? OperationCodec.parse(Data(trimmed.utf8), path: "value"), form.accepts(parsed) else {
                throw FieldError.mergedValueForm(field: conflict.field, form: form.rawValue)
            }
            return parsed
        }
    }
}
