import Foundation
import GRDB
import SyncCore
import SyncPersistence
import SyncTestSupport
import Testing

/// The operation log both programs store in (the server's database and the
/// laptop's replica), against SyncCore's reference `ReplicaState` fed the
/// same operations: what it holds, whole entities and conflicts per case,
/// the held sequence numbers the server states to a device, atomic and
/// idempotent batches, and a pull page's log order.
@Suite struct OperationLogTests {
    static func withLog<T>(_ body: (DatabasePool, String) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("log.sqlite").path
        return try await body(try OperationLogDatabase.open(at: path), path)
    }

    static func history(seed: UInt64) -> [SyncCore.Operation] {
        HistoryGenerator.generate(seed: seed, steps: 120).operations
    }

    static func reference(_ operations: [SyncCore.Operation]) throws -> ReplicaState {
        var state = ReplicaState()
        try state.apply(operations)
        return state
    }

    /// Applies in one transaction, as the server's group commit and the
    /// laptop's pull do; returns (newly stored, already held).
    @discardableResult
    static func apply(_ operations: [SyncCore.Operation], to log: DatabasePool) async throws -> (new: Int, held: Int) {
        let entries = try await log.write { db in
            try OperationLog.apply(operations, receivedAt: 1_700_000_000_000, codec: OperationCodec(), in: db)
        }
        var seen: Set<OperationID> = []
        let new = entries.filter { $0.isNew && seen.insert($0.id).inserted }.count
        return (new, entries.count - new)
    }

    static func expectSameContent(_ log: DatabasePool, as reference: ReplicaState) async throws {
        let codec = OperationCodec()
        try await log.read { db in
            #expect(try OperationLog.count(in: db) == reference.operationCount)
            for replica in reference.knowledge.replicas {
                let held = try OperationLog.knowledge(of: replica, in: db)
                #expect(held.contiguous[replica, default: 0] == reference.knowledge.contiguous[replica, default: 0])
                #expect(held.extra[replica, default: []] == reference.knowledge.extra[replica, default: []])
            }
            let cases = Set(reference.entities.values.map(\.caseID))
            #expect(Set(try OperationLog.caseIDs(in: db)) == cases)
            for caseID in cases {
                let stored = try OperationLog.fold(StoredOperation.all().ofCase(caseID.description), codec: codec, in: db).entities
                    .filter { $0.caseID == caseID }
                #expect(stored.map(EntitySnapshot.init) == reference.entities(inCase: caseID).map(EntitySnapshot.init))
                #expect(stored.flatMap { $0.conflicts() }.sorted { $0.id < $1.id } == reference.conflicts(inCase: caseID))
            }
            for (id, entity) in reference.entities {
                let stored = try #require(try OperationLog.fold(StoredOperation.ofEntity(id.description), codec: codec, in: db).states[id])
                #expect(EntitySnapshot(stored) == EntitySnapshot(entity))
                #expect(try OperationLog.entity(id, codec: codec, in: db)?.caseID == entity.caseID)
            }
        }
    }

    @Test func holdsWhatTheReferenceHolds() async throws {
        for seed in UInt64(1)...5 {
            try await Self.withLog { log, _ in
                let operations = Self.history(seed: seed)
                var random = SeededRandom(seed: seed)
                var rest = operations.shuffled(using: &random)[...]
                while !rest.isEmpty {
                    let size = Int.random(in: 1...40, using: &random)
                    try await Self.apply(Array(rest.prefix(size)), to: log)
                    rest = rest.dropFirst(size)
                }
                try await Self.expectSameContent(log, as: try Self.reference(operations))
            }
        }
    }

    @Test func applyingABatchAgainChangesNothing() async throws {
        try await Self.withLog { log, _ in
            let operations = Self.history(seed: 9)
            let first = try await Self.apply(operations, to: log)
            #expect(first.new == operations.count && first.held == 0)
            let again = try await Self.apply(operations, to: log)
            #expect(again.new == 0 && again.held == operations.count)
            try await Self.expectSameContent(log, as: try Self.reference(operations))
        }
    }

    @Test func aBatchWithOneConflictingOperationIsNotAppliedAtAll() async throws {
        try await Self.withLog { log, _ in
            let operations = Self.history(seed: 10)
            let (held, incoming) = (Array(operations.prefix(30)), Array(operations.dropFirst(30)))
            try await Self.apply(held, to: log)
            let original = held[5]
            let forged = SyncCore.Operation(
                id: original.id, seq: original.seq, author: original.author, caseID: original.caseID,
                entity: original.entity, change: .set(field: "body", value: "forged", predecessors: []))
            await #expect(throws: OperationError.self) { try await Self.apply(incoming + [forged], to: log) }
            let squatter = SyncCore.Operation(
                id: OperationID(timestamp: HLCTimestamp(rawValue: original.id.timestamp.rawValue + 1), replica: original.replica),
                seq: original.seq, author: original.author, caseID: original.caseID, entity: original.entity, change: .delete)
            await #expect(throws: OperationError.self) { try await Self.apply(incoming + [squatter], to: log) }
            try await Self.expectSameContent(log, as: try Self.reference(held))
        }
    }

    /// Operations arriving with gaps below them (another laptop's pushes,
    /// a restore) count as held above the contiguous mark until the gap fills.
    @Test func statesHeldSequenceNumbersAcrossGaps() async throws {
        try await Self.withLog { log, _ in
            let operations = Self.history(seed: 13)
            var random = SeededRandom(seed: 13)
            let (first, second) = operations.shuffled(using: &random).split(at: operations.count / 2)
            try await Self.apply(first, to: log)
            try await Self.expectSameContent(log, as: try Self.reference(first))
            try await Self.apply(second, to: log)
            try await Self.expectSameContent(log, as: try Self.reference(operations))
        }
    }

    /// A pull page hands out a case's operations in the order they were stored.
    @Test func aCasePageIsInLogOrder() async throws {
        try await Self.withLog { log, _ in
            let operations = Self.history(seed: 11)
            var random = SeededRandom(seed: 11)
            let order = operations.shuffled(using: &random)
            for operation in order { try await Self.apply([operation], to: log) }
            try await log.read { db in
                for caseID in Set(operations.map(\.caseID)) {
                    let page = try OperationLog.page(ofCase: caseID, after: 0, limit: 10_000, in: db)
                    let ids = try page.map { try OperationLog.decode($0.body, codec: OperationCodec()).id }
                    #expect(ids == order.filter { $0.caseID == caseID }.map(\.id))
                    #expect(page.map(\.position) == page.map(\.position).sorted())
                    #expect(try OperationLog.count(ofCase: caseID, after: 0, in: db) == ids.count)
                }
            }
        }
    }

    @Test func contentSurvivesClosingAndReopening() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reopen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("log.sqlite").path
        let operations = HistoryGenerator.generate(seed: 21, steps: 80).operations
        do {
            let log = try OperationLogDatabase.open(at: path)
            try await Self.apply(operations, to: log)
        }
        try await Self.expectSameContent(try OperationLogDatabase.open(at: path), as: try Self.reference(operations))
    }
}

private extension Array {
    func split(at index: Int) -> ([Element], [Element]) { (Array(prefix(index)), Array(dropFirst(index))) }
}
