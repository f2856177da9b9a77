import SyncCore

/// Journal notes: drafts that save as they are written, finalization, and
/// the dated corrections a finalized note keeps beside it (Protocol.md §7).
extension FieldSession {
    /// Writes a note in the case; returns its id. Everyone named present must
    /// be a participant of the case.
    public func addNote(in caseID: EntityID, _ draft: NoteDraft) async throws -> EntityID {
        // Someone ticked twice is present once.
        var seen: Set<EntityID> = []
        let (fields, present) = (draft.fields, draft.present.filter { seen.insert($0).inserted })
        return try await replica.write { author, lookup in
            guard try lookup(caseID)?.entityType == EntityType.caseFile else { throw FieldError.notACase(caseID.description) }
            try Self.requireParticipants(present, of: caseID, lookup: lookup)
            return try LocalReplica.creation(EntityType.note, inCase: caseID, fields: fields,
                                             elements: present.map { (Note.Field.present, .string($0.description)) }, by: &author)
        }[0].entity
    }

    /// Changes a draft note; writes only what differs from what this laptop
    /// holds (one operation per changed field, none when nothing changed).
    /// A finalized note is refused: correct it with `addCorrections`.
    /// Returns how many changes were written.
    ///
    /// `basedOn` holds, for fields of `changes`, the value the editor last
    /// saw stored (a form's field as the page showed it). When this laptop
    /// holds another value now (a second tab, a colleague's change brought by
    /// a sync), nothing is written and `NoteChangedSince` says what is held:
    /// the caseworker decides, a save never overwrites it unseen.
    @discardableResult
    public func editNote(_ id: EntityID, _ changes: NoteChanges, basedOn: NoteChanges? = nil) async throws -> Int {
        let fields = changes.fields
        let seen = Dictionary(basedOn?.fields ?? [], uniquingKeysWith: { first, _ in first })
        return try await replica.write { author, lookup in
            guard var state = try lookup(id), state.entityType == EntityType.note else { throw FieldError.notANote(id.description) }
            guard !state.isFinalized else { throw FieldError.finalized(id.description) }
            var changedSince: [String: JSONValue] = [:]
            for (field, value) in fields {
                guard let before = seen[field] else { continue }
                let held = state.value(of: field)
                if !OperationAuthor.holds(held, before), !OperationAuthor.holds(held, value) { changedSince[field] = held ?? .null }
            }
            guard changedSince.isEmpty else { throw NoteChangedSince(note: id, held: changedSince) }
            try Self.requireParticipants(Array(changes.present ?? []) + changes.addPresent, of: state.caseID, lookup: lookup)
            var operations = try author.setChanged(fields, on: &state)
            let held = Set(state.elements(of: Note.Field.present).compactMap { $0.stringValue.flatMap(EntityID.init) })
            var wanted = held.union(changes.addPresent)
            if let exactly = changes.present { wanted = exactly.union(changes.addPresent) }
            for participant in wanted.subtracting(held).sorted() {
                let operation = try author.add(.string(participant.description), to: Note.Field.present, on: state)
                state.apply(operation)
                operations.append(operation)
            }
            for participant in held.subtracting(wanted).sorted() {
                let operation = try author.remove(.string(participant.description), from: Note.Field.present, on: state)
                state.apply(operation)
                operations.append(operation)
            }
            return operations
        }.count
    }

    /// Finalizes a draft note: from now on it is a journal record that never changes.
    public func finalizeNote(_ id: EntityID) async throws {
        try await replica.write { author, lookup in
            guard let state = try lookup(id), state.entityType == EntityType.note else { throw FieldError.notANote(id.description) }
            guard !state.isFinalized else { throw FieldError.finalized(id.description) }
            return [try author.finalize(state)]
        }
    }

    /// Dated, signed corrections to a finalized note, kept beside the record
    /// as addenda: one for each field whose value differs from what the note
    /// shows for it now (its latest correction, else the record), so that a
    /// correction saved twice is written once. Who was present is part of the
    /// record and is corrected in words. Returns how many were written.
    @discardableResult
    public func addCorrections(to id: EntityID, _ changes: NoteChanges) async throws -> Int {
        guard changes.present == nil, changes.addPresent.isEmpty else {
            throw FieldError.invalidArgument("who was present is part of the record; write the correction in the body")
        }
        let fields = changes.fields
        return try await replica.write { author, lookup in
            guard var state = try lookup(id), let note = Note(state) else { throw FieldError.notANote(id.description) }
            guard note.status == .finalized else { throw FieldError.notFinalized(id.description) }
            var operations: [SyncCore.Operation] = []
            for (field, value) in fields {
                let shown = note.addenda.last { $0.field == field && !$0.isDecision }?.value.value ?? state.value(of: field)
                guard !OperationAuthor.holds(shown, value) else { continue }
                let operation = author.addendum(field, value: value, on: state)
                state.apply(operation)
                operations.append(operation)
            }
            return operations
        }.count
    }

    /// A note to be shown: logged as read (`note-show`, naming the note).
    public func note(_ id: EntityID) async throws -> NoteView {
        guard let state = try await replica.entity(id), let note = Note(state) else { throw FieldError.notANote(id.description) }
        try await replica.recordRead(caseID: note.caseID, entity: id, what: "note-show")
        var present: [EntityID: Participant] = [:]
        for participantID in note.present {
            if let participant = try await replica.entity(participantID).flatMap(Participant.init) { present[participantID] = participant }
        }
        return NoteView(note: note, openConflicts: state.conflicts().filter(\.isOpen), presentParticipants: present)
    }

    /// The case's notes by date, to be shown: logged as read (`note-list`).
    public func notes(in caseID: EntityID) async throws -> [Note] {
        let view = try await loadCase(caseID)
        try await replica.recordRead(caseID: caseID, what: "note-list")
        return view.notes
    }

    /// Each of `ids` must be a participant of the case.
    static func requireParticipants(_ ids: [EntityID], of caseID: EntityID, lookup: (EntityID) throws -> EntityState?) throws {
        for id in ids {
            guard let state = try lookup(id), state.entityType == EntityType.participant, state.caseID == caseID else {
                throw FieldError.notAParticipant(id.description, caseID: caseID.description)
            }
        }
    }
}

/// A change to a draft refused because a field no longer holds the value the
/// change was based on: `held` is what it holds now, by field.
public struct NoteChangedSince: Error, Sendable, Equatable {
    public let note: EntityID
    public let held: [String: JSONValue]
}
