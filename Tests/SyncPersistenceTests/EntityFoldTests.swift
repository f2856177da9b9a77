import Foundation
import GRDB
import SyncCore
import SyncPersistence
import SyncTestSupport
import Testing

/// The log's one fold (`EntityFold`): rows read back from the log fold to
/// what the same operations fold to as decoded (the conflict log's fast path
/// for a new entity), with the time each was stored, whichever request
/// selects them.
@Suite struct EntityFoldTests {
    static func log() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try OperationLogDatabase.migrator.migrate(queue)
        return queue
    }

    static func snapshots(_ fold: EntityFold) -> [EntityID: EntitySnapshot] {
        fold.states.mapValues(EntitySnapshot.init)
    }

    @Test(arguments: [UInt64(3), 15])
    func storedRowsFoldAsTheirOperationsDecoded(seed: UInt64) throws {
        let operations = HistoryGenerator.generate(seed: seed, steps: 120).operations
        let (first, second) = (Array(operations.prefix(operations.count / 2)), Array(operations.dropFirst(operations.count / 2)))
        let queue = try Self.log()
        let codec = OperationCodec()
        try queue.write { db in
            _ = try OperationLog.apply(first, receivedAt: 1_000, codec: codec, in: db)
            _ = try OperationLog.apply(second, receivedAt: 2_000, codec: codec, in: db)
        }
        var decoded = EntityFold()
        decoded.add(first, receivedAt: 1_000)
        decoded.add(second, receivedAt: 2_000)

        let stored = try queue.read { db in try OperationLog.fold(StoredOperation.all(), codec: codec, in: db) }
        #expect(Self.snapshots(stored) == Self.snapshots(decoded))
        #expect(stored.receivedAt == decoded.receivedAt)
        #expect(Set(stored.receivedAt.values) == [1_000, 2_000])

        for (id, state) in decoded.states {
            let entity = try queue.read { db in try OperationLog.fold(StoredOperation.ofEntity(id.description), codec: codec, in: db) }
            #expect(entity.states.keys.elementsEqual([id]))
            #expect(entity.states[id].map(EntitySnapshot.init) == EntitySnapshot(state))
            #expect(Set(entity.receivedAt.keys) == Set(state.orderedOperations.map(\.id)))
        }
        for caseID in Set(decoded.states.values.map(\.caseID)) {
            let ofCase = try queue.read { db in
                try OperationLog.fold(StoredOperation.all().ofCase(caseID.description), codec: codec, in: db)
            }
            #expect(Set(ofCase.states.keys) == Set(decoded.states.values.filter { $0.caseID == caseID }.map(\.id)))
        }
        let caseEntities = try queue.read { db in try OperationLog.fold(StoredOperation.all().ofCaseEntities(), codec: codec, in: db) }
        #expect(Set(caseEntities.states.keys) == Set(decoded.states.values.filter { $0.id == $0.caseID }.map(\.id)))
        #expect(caseEntities.entities.map(\.id) == caseEntities.states.keys.sorted())
    }

    /// A laptop that loses a case deletes its operations and entities, and
    /// nothing of another case.
    @Test func deletingACaseLeavesTheOthers() throws {
        let operations = HistoryGenerator.generate(seed: 7, steps: 120).operations
        let queue = try Self.log()
        let codec = OperationCodec()
        try queue.write { db in _ = try OperationLog.apply(operations, receivedAt: 1, codec: codec, in: db) }
        let cases = Set(operations.map(\.caseID))
        try #require(cases.count >= 2)
        let lost = cases.sorted()[0]
        try queue.write { db in try OperationLog.deleteCase(lost, in: db) }
        let left = try queue.read { db in try OperationLog.fold(StoredOperation.all(), codec: codec, in: db) }
        var expected = EntityFold()
        expected.add(operations, receivedAt: 1)
        let kept = expected.states.filter { $0.value.caseID != lost }
        #expect(left.states.mapValues(EntitySnapshot.init) == kept.mapValues(EntitySnapshot.init))
        #expect(try queue.read { db in try OperationLog.caseExists(lost, in: db) } == false)
    }
}
