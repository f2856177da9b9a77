import Foundation
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
    /// `basedOn` is the note as the editor last saw it stored (a form's
    /// fields as the page showed them); a field of `changes` it leaves nil was
    /// seen empty. The merge is three-way, field by field and tick by tick: a
    /// field whose change equals its base was not touched and is not written;
    /// a touched field that this laptop holds otherwise than its base now (a
    /// second tab, a colleague's change brought by a sync) is not written
    /// either, and `NoteChangedSince` says what is held: the caseworker
    /// decides, a save never overwrites it unseen. Stored and shown values are
    /// compared as a form shows them (`Self.asShown`), so that text stored by
    /// `field note` is no change against its own form.
    @discardableResult
    public func editNote(_ id: EntityID, _ changes: NoteChanges, basedOn: NoteChanges? = nil) async throws -> Int {
        let changed = changes.fields
        let seen = basedOn.map { Dictionary($0.fields, uniquingKeysWith: { first, _ in first }) }
        return try await replica.write { author, lookup in
            guard var state = try lookup(id), state.entityType == EntityType.note else { throw FieldError.notANote(id.description) }
            guard !state.isFinalized else { throw FieldError.finalized(id.description) }
            let held = Set(state.elements(of: Note.Field.present).compactMap { $0.stringValue.flatMap(EntityID.init) })
            var fields = changed
            if let seen {
                // Compared as typed: a change of blanks alone is still a change.
                fields.removeAll { field, value in Self.orNull(value) == Self.orNull(seen[field]) }
                var changedSince: [String: JSONValue] = [:]
                for (field, value) in fields {
                    let now = Self.asShown(state.value(of: field))
                    if now != Self.asShown(seen[field]), now != Self.asShown(value) { changedSince[field] = state.value(of: field) ?? .null }
                }
                guard changedSince.isEmpty else { throw NoteChangedSince(note: id, held: changedSince) }
            }
            // Ticks: with the ticks the page showed, only those the caseworker changed are applied.
            var wanted = held.union(changes.addPresent)
            var ticked = changes.addPresent
            if let exactly = changes.present {
                if let shown = basedOn?.present {
                    let (added, removed) = (exactly.subtracting(shown), shown.subtracting(exactly))
                    wanted = held.union(added).subtracting(removed).union(changes.addPresent)
                    ticked += added.sorted()
                } else {
                    wanted = exactly.union(changes.addPresent)
                    ticked += exactly.sorted()
                }
            }
            try Self.requireParticipants(ticked, of: state.caseID, lookup: lookup)
            var operations = try author.setChanged(fields, on: &state)
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

    /// A value as a form shows it and sends it back: line breaks as LF, no
    /// surrounding blanks, and blank as not set. A browser turns CR into LF,
    /// the form trims a title, and a new note keeps a blank view as none.
    static func asShown(_ value: JSONValue?) -> JSONValue {
        guard let value, value != .null else { return .null }
        guard case .string(let text) = value else { return value }
        let shown = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return shown.isEmpty ? .null : .string(shown)
    }

    /// Empty text as not set, as a form sends an empty field.
    static func orNull(_ value: JSONValue?) -> JSONValue {
        guard let value, value != .string("") else { return .null }
        return value
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
