import SyncCore
import SyncTestSupport
import Testing

/// A replica whose physical clock is broken stamps nothing (Protocol.md §3),
/// and what it stamped before can be given new ids, references and all.
@Suite struct BrokenClockTests {
    static let replica = ReplicaID("3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10")!
    static let anna = UserID("anna")!
    /// 2019-06-01 and 2107-03-01, as a flat CMOS battery or a mistyped year leave them.
    static let in2019: UInt64 = 1_559_347_200_000
    static let in2107: UInt64 = 4_328_380_800_000

    @Test(arguments: [in2019, in2107])
    func anAuthorIsRefusedWhileThePhysicalClockIsOutOfRange(physical: UInt64) {
        // Even with a valid `latest` to count on from: the clock is broken.
        let latest = HybridLogicalClock(latest: HLCTimestamp(milliseconds: ManualWallClock.monday, counter: 0))
        #expect(throws: OperationAuthor.AuthoringError.wallClockOutOfRange(milliseconds: physical)) {
            try OperationAuthor.checked(replica: Self.replica, user: Self.anna, wallClock: ManualWallClock(milliseconds: physical), clock: latest)
        }
    }

    @Test func anAuthorIsRefusedWhileItsLatestStampIsBeyond2100() {
        let latest = HybridLogicalClock(latest: HLCTimestamp(milliseconds: Self.in2107, counter: 3))
        #expect(throws: OperationAuthor.AuthoringError.wallClockOutOfRange(milliseconds: Self.in2107)) {
            try OperationAuthor.checked(replica: Self.replica, user: Self.anna, wallClock: ManualWallClock(), clock: latest)
        }
        #expect(throws: Never.self) {
            try OperationAuthor.checked(replica: Self.replica, user: Self.anna, wallClock: ManualWallClock())
        }
    }

    @Test func theOrdinaryDecoderRefusesA2107StampAndTheRepairDecoderReadsIt() throws {
        var author = OperationAuthor(replica: Self.replica, user: Self.anna, wallClock: ManualWallClock(milliseconds: Self.in2107))
        var random = SeededRandom(seed: 1)
        let bytes = OperationCodec().encode(author.create(EntityType.caseFile, inCase: nil, using: &random))
        #expect(throws: OperationError.self) { try OperationCodec().decode(bytes) }
        #expect(try OperationCodec.acceptingAnyTimestamp.decode(bytes).milliseconds == Self.in2107)
    }

    @Test func restampingGivesNewIdsInOrderAndRenamesEveryReference() throws {
        var author = OperationAuthor(replica: Self.replica, user: Self.anna, wallClock: ManualWallClock(milliseconds: Self.in2107))
        var random = SeededRandom(seed: 2)
        var state = ReplicaState()
        func write(_ make: (inout OperationAuthor, ReplicaState) throws -> Operation) throws -> Operation {
            let operation = try make(&author, state)
            try state.apply([operation])
            return operation
        }
        let note = try write { a, _ in a.create(EntityType.note, inCase: EntityID("c0ffee00112233445566778899aabbcc")!, using: &random) }
        let id = note.entity
        let first = try write { a, s in try a.set(Note.Field.body, to: "Første udkast", on: s.entity(id)!) }
        let second = try write { a, s in try a.set(Note.Field.body, to: "Andet udkast", on: s.entity(id)!) }
        let present = try write { a, s in try a.add("9a7b1c2d3e4f50617283940a1b2c3d4e", to: Note.Field.present, on: s.entity(id)!) }
        let absent = try write { a, s in try a.remove("9a7b1c2d3e4f50617283940a1b2c3d4e", from: Note.Field.present, on: s.entity(id)!) }
        let finalized = try write { a, s in try a.finalize(s.entity(id)!) }
        let operations = [note, first, second, present, absent, finalized]
        let resolution = Operation(
            id: OperationID(timestamp: HLCTimestamp(milliseconds: Self.in2107 + 1, counter: 0), replica: Self.replica),
            seq: 7, author: Self.anna, caseID: note.caseID, entity: id,
            change: .resolve(field: Note.Field.body, value: "Andet udkast", supersedes: [first.id, second.id], reason: "samme indhold"))

        let start = HLCTimestamp(milliseconds: ManualWallClock.monday, counter: 0)
        let restamping = Restamping(operations + [resolution], from: start)
        let renamed = (operations + [resolution]).map(restamping.applied(to:))
        #expect(renamed.map(\.id.timestamp) == (0..<7).map { HLCTimestamp(milliseconds: ManualWallClock.monday, counter: $0) })
        #expect(renamed.allSatisfy { $0.replica == Self.replica && $0.id.timestamp.isValid })
        #expect(renamed.map(\.seq) == Array(1...7))
        #expect(restamping.last == HLCTimestamp(milliseconds: ManualWallClock.monday, counter: 6))
        let newID = { (old: Operation) in restamping.newIDs[old.id]! }
        #expect(renamed[2].change == .set(field: Note.Field.body, value: "Andet udkast", predecessors: [newID(first)]))
        #expect(renamed[4].change == .remove(field: Note.Field.present, element: "9a7b1c2d3e4f50617283940a1b2c3d4e", predecessors: [newID(present)]))
        guard case .finalize(let context) = renamed[5].change, case .resolve(_, _, let supersedes, _) = renamed[6].change else {
            Issue.record("kinds changed")
            return
        }
        #expect(context[Note.Field.body] == [newID(second)])
        #expect(supersedes == [newID(first), newID(second)])
        // Same merged state as before, under the new ids.
        var before = ReplicaState()
        try before.apply(operations + [resolution])
        var after = ReplicaState()
        try after.apply(renamed)
        #expect(after.entity(id)?.value(of: Note.Field.body) == before.entity(id)?.value(of: Note.Field.body))
        #expect(after.entity(id)?.isFinalized == true)
    }
}
