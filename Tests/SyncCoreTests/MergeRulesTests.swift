import SyncCore
import SyncTestSupport
import Testing

/// The merge rules of Protocol.md, one example each. Convergence in general is
/// proven by `ConvergenceTests`; these pin down what the converged state is.
@Suite struct MergeRulesTests {
    var random = SeededRandom(seed: 7)
    var anna = TestReplica("anna", seed: 1)
    var bo = TestReplica("bo.jensen", seed: 2)

    /// A case with one note, known to both laptops.
    mutating func sharedNote() throws -> EntityID {
        var random = self.random
        let caseOp = try anna.write { author, _ in author.create(EntityType.caseFile, inCase: nil, using: &random) }
        let noteOp = try anna.write { author, _ in author.create(EntityType.note, inCase: caseOp.entity, using: &random) }
        try anna.write { author, state in try author.set(Note.Field.body, to: "Visit went well.", on: state.only(noteOp.entity)) }
        try bo.receive(from: anna)
        return noteOp.entity
    }

    @Test mutating func concurrentSetsBecomeOneConflictWithEveryValue() throws {
        let note = try sharedNote()
        let fromAnna = try anna.write { a, s in try a.set(Note.Field.body, to: "Mother present.", on: s.only(note)) }
        let fromBo = try bo.write { a, s in try a.set(Note.Field.body, to: "Father present.", on: s.only(note)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)

        #expect(anna.state.snapshots() == bo.state.snapshots())
        let conflicts = anna.entity(note).conflicts()
        #expect(conflicts.count == 1)
        let conflict = try #require(conflicts.first)
        #expect(conflict.isOpen && conflict.kind == .concurrentValues && conflict.field == Note.Field.body)
        #expect(conflict.values.map(\.operation) == [fromAnna.id, fromBo.id].sorted())
        #expect(Set(conflict.values.map(\.value)) == ["Mother present.", "Father present."])
        #expect(Set(conflict.values.map(\.author)) == [UserID("anna")!, UserID("bo.jensen")!])
        #expect(Set(conflict.values.map(\.device)) == [anna.author.replica, bo.author.replica])
        // The visible value is the greatest operation id, the same everywhere.
        #expect(anna.entity(note).valueOperation(of: Note.Field.body) == max(fromAnna.id, fromBo.id))
    }

    @Test mutating func aSetThatSawTheOtherValueIsNoConflict() throws {
        let note = try sharedNote()
        try anna.write { a, s in try a.set(Note.Field.body, to: "First.", on: s.only(note)) }
        try bo.receive(from: anna)
        try bo.write { a, s in try a.set(Note.Field.body, to: "Second.", on: s.only(note)) }
        try anna.receive(from: bo)
        #expect(anna.entity(note).conflicts().isEmpty)
        #expect(anna.entity(note).value(of: Note.Field.body) == "Second.")
        #expect(anna.entity(note).history(of: Note.Field.body).count == 3)
    }

    @Test mutating func concurrentEqualValuesAreNoConflict() throws {
        let note = try sharedNote()
        try anna.write { a, s in try a.set(Note.Field.title, to: "Netværksmøde", on: s.only(note)) }
        try bo.write { a, s in try a.set(Note.Field.title, to: "Netværksmøde", on: s.only(note)) }
        try anna.receive(from: bo)
        #expect(anna.entity(note).conflicts().isEmpty)
        #expect(anna.entity(note).concurrentOperations(of: Note.Field.title).count == 2)
        // The next edit replaces both equal values, so no conflict appears later.
        try anna.write { a, s in try a.set(Note.Field.title, to: "Hjemmebesøg", on: s.only(note)) }
        #expect(anna.entity(note).concurrentOperations(of: Note.Field.title).count == 1)
    }

    @Test mutating func resolutionSettlesTheConflictAndKeepsTheHistory() throws {
        let note = try sharedNote()
        let fromAnna = try anna.write { a, s in try a.set(Note.Field.body, to: "A", on: s.only(note)) }
        let fromBo = try bo.write { a, s in try a.set(Note.Field.body, to: "B", on: s.only(note)) }
        try anna.receive(from: bo)
        let conflict = try #require(anna.entity(note).conflicts().first)
        let resolution = try anna.write { a, _ in try a.resolve(conflict, with: "A and B", reason: "Both parents were present") }
        try bo.receive(from: anna)

        for replica in [anna, bo] {
            let entity = replica.entity(note)
            #expect(entity.value(of: Note.Field.body) == "A and B")
            let records = entity.conflicts()
            #expect(records.count == 1)
            let record = try #require(records.first)
            #expect(!record.isOpen && record.id == resolution.id.description)
            #expect(record.resolution?.reason == "Both parents were present")
            #expect(record.resolution?.author == UserID("anna"))
            #expect(record.values.map(\.operation) == [fromAnna.id, fromBo.id].sorted())
            #expect(entity.history(of: Note.Field.body).map(\.id).contains(fromBo.id))
        }
    }

    @Test mutating func concurrentResolutionsConflictWithEachOther() throws {
        let note = try sharedNote()
        try anna.write { a, s in try a.set(Note.Field.body, to: "A", on: s.only(note)) }
        try bo.write { a, s in try a.set(Note.Field.body, to: "B", on: s.only(note)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)
        let conflict = try #require(anna.entity(note).conflicts().first)
        try anna.write { a, _ in try a.resolve(conflict, with: "A", reason: "Anna's notes are from the meeting") }
        try bo.write { a, _ in try a.resolve(conflict, with: "B", reason: "Bo spoke to the school") }
        try anna.receive(from: bo)
        try bo.receive(from: anna)
        let records = anna.entity(note).conflicts()
        #expect(records.filter { !$0.isOpen }.count == 2)
        let open = try #require(records.first { $0.isOpen })
        #expect(open.values.allSatisfy { $0.change == .resolve })
        #expect(anna.state.snapshots() == bo.state.snapshots())
    }

    /// Protocol.md §4: the same value is the same canonical bytes. "Idé"
    /// typed precomposed and "Idé" with a combining accent look alike and
    /// are equal Swift strings, but two values: a conflict, here as in the
    /// server's byte comparison and in a client written from the protocol.
    @Test mutating func textsThatOnlyLookAlikeAreTwoValues() throws {
        let note = try sharedNote()
        let precomposed = "Id\u{E9}", combining = "Ide\u{301}"
        #expect(precomposed == combining, "Swift's String equality is canonical equivalence")
        try anna.write { a, s in try a.set(Note.Field.title, to: .string(precomposed), on: s.only(note)) }
        try bo.write { a, s in try a.set(Note.Field.title, to: .string(combining), on: s.only(note)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)
        let conflict = try #require(anna.entity(note).conflicts().first)
        #expect(conflict.isOpen && conflict.field == Note.Field.title)
        #expect(Set(conflict.values.map { OperationCodec.canonicalBytes($0.value) }) ==
                [OperationCodec.canonicalBytes(.string(precomposed)), OperationCodec.canonicalBytes(.string(combining))])
        #expect(JSONValue.string(precomposed) != JSONValue.string(combining))
        #expect(Set([JSONValue.string(precomposed), .string(combining), .string(precomposed)]).count == 2)
        #expect(anna.state.snapshots() == bo.state.snapshots())
    }

    @Test mutating func anEditDuringAnOpenConflictKeepsItOpen() throws {
        let note = try sharedNote()
        try anna.write { a, s in try a.set(Note.Field.body, to: "A", on: s.only(note)) }
        let fromBo = try bo.write { a, s in try a.set(Note.Field.body, to: "B", on: s.only(note)) }
        try anna.receive(from: bo)
        let edit = try anna.write { a, s in try a.set(Note.Field.body, to: "A, revised", on: s.only(note)) }
        let open = try #require(anna.entity(note).conflicts().first)
        #expect(open.isOpen)
        #expect(Set(open.values.map(\.operation)) == [edit.id, fromBo.id])
        #expect(anna.entity(note).value(of: Note.Field.body) == "A, revised")
    }

    @Test mutating func aConcurrentAddSurvivesARemove() throws {
        var random = self.random
        let caseOp = try anna.write { a, _ in a.create(EntityType.caseFile, inCase: nil, using: &random) }
        try anna.write { a, s in try a.add("carla", to: Case.Field.members, on: s.only(caseOp.entity)) }
        try bo.receive(from: anna)
        try anna.write { a, s in try a.remove("carla", from: Case.Field.members, on: s.only(caseOp.entity)) }
        try bo.write { a, s in try a.add("carla", to: Case.Field.members, on: s.only(caseOp.entity)) }
        try anna.receive(from: bo)
        try bo.receive(from: anna)
        #expect(anna.entity(caseOp.entity).elements(of: Case.Field.members) == ["carla"])
        #expect(anna.state.snapshots() == bo.state.snapshots())
        try anna.write { a, s in try a.remove("carla", from: Case.Field.members, on: s.only(caseOp.entity)) }
        #expect(anna.entity(caseOp.entity).elements(of: Case.Field.members).isEmpty)
    }

    @Test mutating func successorsMayArriveBeforeTheirPredecessors() throws {
        let note = try sharedNote()
        let first = try anna.write { a, s in try a.set(Note.Field.body, to: "1", on: s.only(note)) }
        let second = try anna.write { a, s in try a.set(Note.Field.body, to: "2", on: s.only(note)) }
        var late = bo
        try late.state.apply([second])
        try late.state.apply([first])
        #expect(late.entity(note).value(of: Note.Field.body) == "2")
        #expect(late.entity(note).conflicts().isEmpty)
    }

    @Test mutating func deletionIsATombstone() throws {
        let note = try sharedNote()
        try bo.write { a, s in a.delete(s.only(note)) }
        try anna.receive(from: bo)
        let entity = anna.entity(note)
        #expect(entity.isDeleted)
        #expect(entity.value(of: Note.Field.body) == "Visit went well.")
    }

    @Test mutating func unknownTypesAndFieldsAreKeptAndForwardedUntouched() throws {
        var random = self.random
        let codec = OperationCodec()
        let caseOp = try anna.write { a, _ in a.create(EntityType.caseFile, inCase: nil, using: &random) }
        let recording = try anna.write { a, _ in a.create("meetingRecording", inCase: caseOp.entity, using: &random) }
        let field = try anna.write { a, s in
            try a.set("transcriptLanguage", to: ["code": "da", "confidence": .number(0.93)], on: s.only(recording.entity))
        }
        // Through the wire and back, as a relaying replica would.
        let relayed = try codec.decodeBatch(codec.encodeBatch(anna.written))
        #expect(relayed == anna.written)
        #expect(codec.encode(relayed.last!) == codec.encode(field))
        try bo.state.apply(relayed)
        #expect(bo.entity(recording.entity).entityType == "meetingRecording")
        #expect(bo.entity(recording.entity).value(of: "transcriptLanguage") == ["code": "da", "confidence": .number(0.93)])
        #expect(Note(bo.entity(recording.entity)) == nil)
    }
}
