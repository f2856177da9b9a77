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
        #expect(entity.addenda().count == 1)
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
