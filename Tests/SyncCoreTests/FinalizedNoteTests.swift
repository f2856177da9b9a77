import SyncCore
import SyncTestSupport
import Testing

/// Protocol.md, "Finalized notes": a finalized note never changes; a change the
/// finalization did not include is kept as an addendum and an open conflict.
@Suite struct FinalizedNoteTests {
    var anna = TestReplica("anna", seed: 11)
    var bo = TestReplica("bo.jensen", seed: 12)

    mutating func draftNote() throws -> EntityID {
        var random = SeededRandom(seed: 3)
        let caseOp = try anna.write { a, _ in a.create(EntityType.caseFile, inCase: nil, using: &random) }
        let note = try anna.write { a, _ in a.create(EntityType.note, inCase: caseOp.entity, using: &random) }
        try anna.write { a, s in try a.set(Note.Field.body, to: "Draft.", on: s.only(note.entity)) }
        try anna.write { a, s in try a.add("p1", to: Note.Field.present, on: s.only(note.entity)) }
        try bo.receive(from: anna)
        return note.entity
    }

    @Test mutating func anOfflineEditMadeBeforeFinalizationIsKeptAsAnAddendum() throws {
        let note = try draftNote()
        try anna.write { a, s in try a.set(Note.Field.body, to: "Final text.", on: s.only(note)) }
        try anna.write { a, s in try a.finalize(s.only(note)) }
        // Bo, offline, never saw the finalization.
        let late = try bo.write { a, s in try a.set(Note.Field.body, to: "Bo's change.", on: s.only(note)) }
        let lateAdd = try bo.write { a, s in try a.add("p2", to: Note.Field.present, on: s.only(note)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)

        for replica in [anna, bo] {
            let entity = replica.entity(note)
            let view = try #require(Note(entity))
            #expect(view.status == .finalized)
            #expect(view.body == "Final text.")
            #expect(entity.elements(of: Note.Field.present) == ["p1"])
            #expect(view.addenda.map(\.value.operation) == [late.id, lateAdd.id])
            let open = entity.conflicts().filter { $0.isOpen && $0.kind == .editAfterFinalization }
            #expect(Set(open.map(\.field)) == [Note.Field.body, Note.Field.present])
            let body = try #require(open.first { $0.field == Note.Field.body })
            #expect(body.values.map(\.value).contains("Final text."))
            #expect(body.values.map(\.value).contains("Bo's change."))
        }
        #expect(anna.state.snapshots() == bo.state.snapshots())
    }

    @Test mutating func anEditTheFinalizerHadSeenIsPartOfTheRecordWhateverTheArrivalOrder() throws {
        let note = try draftNote()
        let edit = try anna.write { a, s in try a.set(Note.Field.body, to: "Seen before finalizing.", on: s.only(note)) }
        let finalize = try anna.write { a, s in try a.finalize(s.only(note)) }
        var receiver = TestReplica("carla", seed: 13)
        try receiver.state.apply(bo.written + anna.written.filter { $0.id != edit.id })
        try receiver.state.apply([finalize, edit])
        let entity = receiver.entity(note)
        #expect(entity.value(of: Note.Field.body) == "Seen before finalizing.")
        #expect(entity.addenda().isEmpty)
        #expect(entity.conflicts().isEmpty)
    }

    @Test mutating func aFinalizedNoteRefusesEditsButTakesSignedAddenda() throws {
        let note = try draftNote()
        try anna.write { a, s in try a.finalize(s.only(note)) }
        #expect(throws: OperationAuthor.AuthoringError.finalized(note)) {
            try anna.write { a, s in try a.set(Note.Field.body, to: "Rewritten", on: s.only(note)) }
        }
        let addendum = try anna.write { a, s in a.addendum(Note.Field.body, value: "Correction: the visit was on Tuesday.", on: s.only(note)) }
        let entity = anna.entity(note)
        #expect(entity.value(of: Note.Field.body) == "Draft.")
        #expect(entity.addenda().map(\.value.operation) == [addendum.id])
        #expect(entity.addenda().first?.value.author == UserID("anna"))
    }

    @Test mutating func aReviewSettlesTheLateEditWithoutChangingTheRecord() throws {
        let note = try draftNote()
        try anna.write { a, s in try a.finalize(s.only(note)) }
        try bo.write { a, s in try a.set(Note.Field.body, to: "Late.", on: s.only(note)) }
        try anna.receive(from: bo)
        let open = try #require(anna.entity(note).conflicts().first { $0.isOpen })
        #expect(open.kind == .editAfterFinalization)
        try anna.write { a, _ in try a.resolve(open, with: "Draft.", reason: "Kept as addendum; the record stands") }
        let entity = anna.entity(note)
        #expect(entity.conflicts().filter(\.isOpen).isEmpty)
        let resolved = try #require(entity.conflicts().first)
        #expect(resolved.kind == .editAfterFinalization)
        #expect(entity.value(of: Note.Field.body) == "Draft.")
        // The late edit, then the decision on it, both beside the record.
        #expect(entity.addenda().map(\.isDecision) == [false, true])
        #expect(entity.addenda().last?.reason == "Kept as addendum; the record stands")
    }

    /// Issue 15: finalized while its body was in conflict, the note keeps both
    /// values in its record; the supervisor's later decision closes the
    /// conflict and shows with the note as a signed addendum, on every replica.
    @Test mutating func aDecisionOnAConflictInTheRecordShowsAsAnAddendum() throws {
        let note = try draftNote()
        let annas = try anna.write { a, s in try a.set(Note.Field.body, to: "Anna's text.", on: s.only(note)) }
        let bos = try bo.write { a, s in try a.set(Note.Field.body, to: "Bo's text.", on: s.only(note)) }
        try anna.receive(from: bo)
        try anna.write { a, s in try a.finalize(s.only(note)) }
        let displayed = max(annas.id, bos.id)
        var supervisor = TestReplica("sofie", seed: 14)
        try supervisor.receive(from: anna)
        let open = try #require(supervisor.entity(note).conflicts().first { $0.isOpen })
        #expect(open.kind == .concurrentValues)
        let decision = try supervisor.write { a, _ in try a.resolve(open, with: "Bo's text.", reason: "Bo was at the visit") }
        try anna.receive(from: supervisor)
        try bo.receive(from: anna)

        for replica in [anna, bo, supervisor] {
            let entity = replica.entity(note)
            #expect(entity.valueOperation(of: Note.Field.body) == displayed, "the record never changes")
            #expect(entity.conflicts().filter(\.isOpen).isEmpty)
            let addendum = try #require(Note(entity)?.addenda.first)
            #expect(addendum.isDecision)
            #expect(addendum.value.operation == decision.id)
            #expect(addendum.value.value == "Bo's text.")
            #expect(addendum.reason == "Bo was at the visit")
        }
        #expect(anna.state.snapshots() == bo.state.snapshots())
    }

    /// Issue 15: on a set-valued field, the record's current values of an
    /// `edit-after-finalization` conflict are the additions in effect in the
    /// record, then the late operations.
    @Test mutating func aLateChangeToASetListsTheRecordsAdditionsFirst() throws {
        let note = try draftNote()
        let p3 = try anna.write { a, s in try a.add("p3", to: Note.Field.present, on: s.only(note)) }
        try anna.write { a, s in try a.remove("p3", from: Note.Field.present, on: s.only(note)) }
        try anna.write { a, s in try a.finalize(s.only(note)) }
        let late = try bo.write { a, s in try a.add("p2", to: Note.Field.present, on: s.only(note)) }
        try anna.receive(from: bo)
        let entity = anna.entity(note)
        let present = try #require(entity.conflicts().first { $0.isOpen && $0.field == Note.Field.present })
        #expect(present.kind == .editAfterFinalization)
        let p1 = try #require(entity.history(of: Note.Field.present).first { $0.id != p3.id && $0.id != late.id && $0.kindName == "add" })
        #expect(present.values.map(\.operation) == [p1.id, late.id].sorted())
        #expect(present.values.map(\.value) == (p1.id < late.id ? ["p1", "p2"] : ["p2", "p1"]))
    }

    @Test mutating func concurrentFinalizationsFreezeTheUnionOfWhatEachSaw() throws {
        let note = try draftNote()
        try anna.write { a, s in try a.set(Note.Field.place, to: "Home", on: s.only(note)) }
        try anna.write { a, s in try a.finalize(s.only(note)) }
        try bo.write { a, s in try a.set(Note.Field.title, to: "Hjemmebesøg", on: s.only(note)) }
        try bo.write { a, s in try a.finalize(s.only(note)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)
        let entity = anna.entity(note)
        #expect(entity.value(of: Note.Field.place) == "Home")
        #expect(entity.value(of: Note.Field.title) == "Hjemmebesøg")
        #expect(entity.addenda().isEmpty)
        #expect(anna.state.snapshots() == bo.state.snapshots())
    }
}
