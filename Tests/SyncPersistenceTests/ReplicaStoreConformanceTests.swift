import Foundation
import SyncCore
import SyncPersistence
import SyncTestSupport
import Testing

/// The conformance suite every `ReplicaStore` must pass, run against the
/// in-memory store and the SQLite store. The reference is SyncCore's own
/// `ReplicaState` fed the same operations.
@Suite struct ReplicaStoreConformanceTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case inMemory, sqlite
        var testDescription: String { rawValue }
    }

    static func makeStore(_ kind: Kind) throws -> any ReplicaStore {
        switch kind {
        case .inMemory:
            return InMemoryReplicaStore()
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try SQLiteReplicaStore(path: directory.appendingPathComponent("replica.sqlite").path)
        }
    }

    static func history(seed: UInt64) -> [SyncCore.Operation] {
        HistoryGenerator.generate(seed: seed, steps: 120).operations
    }

    static func reference(_ operations: [SyncCore.Operation]) throws -> ReplicaState {
        var state = ReplicaState()
        try state.apply(operations)
        return state
    }

    static func expectSameContent(_ store: any ReplicaStore, as reference: ReplicaState) async throws {
        #expect(try await store.operationCount() == reference.operationCount)
        #expect(try await store.knowledge() == reference.knowledge)
        for (id, entity) in reference.entities {
            let stored = try #require(try await store.entity(id))
            #expect(EntitySnapshot(stored) == EntitySnapshot(entity))
        }
        #expect(try await store.conflicts(inCase: nil) == reference.conflicts())
        let cases = Set(reference.entities.values.map(\.caseID))
        for caseID in cases {
            let stored = try await store.entities(inCase: caseID).map(EntitySnapshot.init)
            #expect(stored == reference.entities(inCase: caseID).map(EntitySnapshot.init))
            #expect(try await store.conflicts(inCase: caseID) == reference.conflicts(inCase: caseID))
        }
    }

    @Test(arguments: Kind.allCases)
    func holdsWhatTheReferenceHolds(kind: Kind) async throws {
        for seed in UInt64(1)...5 {
            let store = try Self.makeStore(kind)
            let operations = Self.history(seed: seed)
            var random = SeededRandom(seed: seed)
            var rest = operations.shuffled(using: &random)[...]
            while !rest.isEmpty {
                let size = Int.random(in: 1...40, using: &random)
                try await store.apply(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            try await Self.expectSameContent(store, as: try Self.reference(operations))
        }
    }

    @Test(arguments: Kind.allCases)
    func applyingABatchAgainChangesNothing(kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        let operations = Self.history(seed: 9)
        let first = try await store.apply(operations)
        #expect(first.applied.count == operations.count && first.duplicates == 0)
        let again = try await store.apply(operations)
        #expect(again.applied.isEmpty && again.duplicates == operations.count)
        try await Self.expectSameContent(store, as: try Self.reference(operations))
    }

    @Test(arguments: Kind.allCases)
    func aBatchWithOneConflictingOperationIsNotAppliedAtAll(kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        let operations = Self.history(seed: 10)
        let (held, incoming) = (Array(operations.prefix(30)), Array(operations.dropFirst(30)))
        try await store.apply(held)
        let original = held[5]
        let forged = SyncCore.Operation(
            id: original.id, seq: original.seq, author: original.author, caseID: original.caseID,
            entity: original.entity, change: .set(field: "body", value: "forged", predecessors: []))
        await #expect(throws: OperationError.self) { try await store.apply(incoming + [forged]) }
        let squatter = SyncCore.Operation(
            id: OperationID(timestamp: HLCTimestamp(rawValue: original.id.timestamp.rawValue + 1), replica: original.replica),
            seq: original.seq, author: original.author, caseID: original.caseID, entity: original.entity, change: .delete)
        await #expect(throws: OperationError.self) { try await store.apply(incoming + [squatter]) }
        try await Self.expectSameContent(store, as: try Self.reference(held))
    }

    @Test(arguments: Kind.allCases)
    func handsOutOperationsByRangeInSequenceOrder(kind: Kind) async throws {
        let store = try Self.makeStore(kind)
        let operations = Self.history(seed: 11)
        try await store.apply(operations.reversed())
        let reference = try Self.reference(operations)
        for replica in reference.knowledge.replicas.sorted() {
            let top = reference.knowledge.contiguous[replica, default: 0]
            guard top >= 2 else { continue }
            let range = SequenceRange(replica: replica, seqs: 2...top)
            let fetched = try await store.operations(in: [range])
            #expect(fetched == reference.operations(of: replica, seqs: 2...top))
            #expect(fetched.map(\.seq) == Array(2...top))
        }
    }

    @Test(arguments: Kind.allCases, Kind.allCases)
    func twoStoresConvergeThroughSyncSessions(senderKind: Kind, receiverKind: Kind) async throws {
        let operations = Self.history(seed: 12)
        let a = try Self.makeStore(senderKind)
        let b = try Self.makeStore(receiverKind)
        try await a.apply(Array(operations.prefix(operations.count * 2 / 3)))
        try await b.apply(Array(operations.suffix(operations.count / 2)))
        for (sender, receiver) in [(a, b), (b, a)] {
            var session = SyncSession(sender: try await sender.knowledge(), receiver: try await receiver.knowledge(), batchLimit: 17)
            while let batch = session.nextBatch() {
                try await receiver.apply(try await sender.operations(in: batch))
                session.acknowledge()
            }
        }
        let reference = try Self.reference(operations)
        try await Self.expectSameContent(a, as: reference)
        try await Self.expectSameContent(b, as: reference)
    }
}

@Suite struct SQLiteReplicaStoreTests {
    @Test func contentSurvivesClosingAndReopening() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reopen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("replica.sqlite").path
        let operations = HistoryGenerator.generate(seed: 21, steps: 80).operations
        do {
            let store = try SQLiteReplicaStore(path: path)
            try await store.apply(operations)
        }
        let reopened = try SQLiteReplicaStore(path: path)
        var reference = ReplicaState()
        try reference.apply(operations)
        try await ReplicaStoreConformanceTests.expectSameContent(reopened, as: reference)
    }
}
