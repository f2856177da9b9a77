@testable import FieldKit
import Foundation
import Synchronization
import GRDB
import PropertyBased
import SyncCore
import SyncPersistence
import SyncTestSupport
import Testing

/// The laptop keeps how many conflicts are open in each case
/// (`OpenConflictRecord`) so that the app's header and the case list need not
/// open every note. Whatever order operations arrive in, however they are
/// paged and repeated, the kept count is what a fold of everything held finds.
@Suite struct OpenConflictCountTests {
    static let codec = OperationCodec()

    static func database(upTo migration: String? = nil) throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        let migrator = LocalReplicaSchema.migrator(bodies: PlaintextBodies())
        if let migration { try migrator.migrate(queue, upTo: migration) } else { try migrator.migrate(queue) }
        return queue
    }

    /// Open conflicts by case, as a fold of every operation held finds them.
    static func folded(in db: Database) throws -> [EntityID: Int] {
        var counts: [EntityID: Int] = [:]
        for state in try OperationLog.fold(StoredOperation.all(), codec: codec, in: db).states.values {
            let open = state.conflicts().count(where: \.isOpen)
            if open > 0 { counts[state.caseID, default: 0] += open }
        }
        return counts
    }

    @Test(.shrinking(false))
    func theKeptCountIsAFoldOfEverythingHeldAfterEveryPage() async {
        await propertyCheck(count: 60, input: Gen.uint64()) { seed in
            let history = HistoryGenerator.generate(seed: seed, steps: 150)
            var random = SeededRandom(seed: seed ^ 0x5EED)
            var remaining = history.operations.shuffled(using: &random)
            do {
                let queue = try Self.database()
                var sawConflict = false
                try queue.write { db in
                    while !remaining.isEmpty {
                        // Pages as pulls bring them, in any order, now and then with an
                        // operation held already.
                        let size = Int.random(in: 1...min(40, remaining.count), using: &random)
                        var page = Array(remaining.prefix(size))
                        remaining.removeFirst(size)
                        if random.chance(20), let again = history.operations.randomElement(using: &random) { page.append(again) }
                        // Some entities looked up before, as a write's `make` does
                        // (nil for one none is held of), and counted from that state.
                        var looked: [EntityID: EntityState?] = [:]
                        for id in Set(page.map(\.entity)).sorted() where random.chance(40) {
                            looked[id] = try OperationLog.fold(StoredOperation.ofEntity(id.description), codec: Self.codec, in: db).states[id]
                        }
                        let entries = try OperationLog.apply(page, receivedAt: 1, codec: Self.codec, in: db)
                        try OpenConflictRecord.record(afterApplying: page, entries: entries, statesBefore: looked, codec: Self.codec,
                                                      bodies: PlaintextBodies(), in: db)
                        let kept = try OpenConflictRecord.countsByCase(in: db)
                        #expect(kept == (try Self.folded(in: db)), "seed \(seed)")
                        #expect(try OpenConflictRecord.total(in: db) == kept.values.reduce(0, +), "seed \(seed)")
                        sawConflict = sawConflict || !kept.isEmpty
                    }
                }
                // Not every history has an open conflict at some point, but most do.
                if sawConflict { Self.historiesWithConflicts.increment() }
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
        #expect(Self.historiesWithConflicts.value >= 20, "the generated histories hardly ever conflict: the property says little")
    }

    static let historiesWithConflicts = Counter()

    /// A laptop an earlier version let stamp operations with a broken clock
    /// (2107) holds bodies only the lenient codec reads; the clock repair
    /// re-stamps them after the migrations, so the upgrade must read them.
    @Test func theUpgradeReadsWhatABrokenClockStamped() throws {
        let queue = try Self.database(upTo: "field v3: acknowledgements")
        var random = SeededRandom(seed: 7)
        let clock = ManualWallClock(milliseconds: 4_328_380_800_000)
        var author = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("anna")!, wallClock: clock)
        let operations = try LocalReplica.creation(EntityType.caseFile, inCase: nil, fields: [(Case.Field.title, .string("Holm"))],
                                                   elements: [], by: &author)
        #expect(operations.allSatisfy { !$0.id.timestamp.isValid })
        try queue.write { db in _ = try OperationLog.apply(operations, receivedAt: 1, codec: Self.codec, in: db) }
        try LocalReplicaSchema.migrator(bodies: PlaintextBodies()).migrate(queue)
        #expect(try queue.read { db in try OpenConflictRecord.total(in: db) } == 0)
    }

    /// A laptop that stored entities before their types were recorded gets
    /// them at the upgrade, so that the agenda's fold of case records and next
    /// steps does not open every note.
    @Test func theUpgradeRecordsTheTypeOfEveryEntityWhoseCreateIsHeld() throws {
        let history = HistoryGenerator.generate(seed: 3, steps: 200)
        let queue = try Self.database(upTo: "field v4: open conflicts")
        try queue.write { db in
            _ = try OperationLog.apply(history.operations, receivedAt: 1, codec: Self.codec, in: db)
            try db.execute(sql: "UPDATE entity SET entityType = NULL")
        }
        try LocalReplicaSchema.migrator(bodies: PlaintextBodies()).migrate(queue)
        let created = Dictionary(history.operations.compactMap { operation -> (String, String)? in
            guard case .create(let type) = operation.change else { return nil }
            return (operation.entity.description, type)
        }, uniquingKeysWith: { first, _ in first })
        let stored = try queue.read { db in try StoredEntity.fetchAll(db) }
        #expect(!created.isEmpty && !stored.isEmpty)
        for entity in stored {
            #expect(entity.entityType == created[entity.id], "\(entity.id)")
        }
    }

    /// A laptop upgraded from a version without the table finds every open
    /// conflict it held counted; and a case the user lost takes its count along.
    @Test func theUpgradeCountsWhatIsHeldAndAPurgedCaseTakesItsCountAlong() throws {
        for seed in UInt64(1)...12 {
            let history = HistoryGenerator.generate(seed: seed, steps: 200)
            let queue = try Self.database(upTo: "field v3: acknowledgements")
            try queue.write { db in _ = try OperationLog.apply(history.operations, receivedAt: 1, codec: Self.codec, in: db) }
            try LocalReplicaSchema.migrator(bodies: PlaintextBodies()).migrate(queue)
            try queue.write { db in
                let folded = try Self.folded(in: db)
                #expect(try OpenConflictRecord.countsByCase(in: db) == folded, "seed \(seed)")
                guard let caseID = folded.keys.sorted().first else { return }
                try LocalReplica.purge(caseID: caseID, in: db)
                #expect(try OpenConflictRecord.countsByCase(in: db)[caseID] == nil, "seed \(seed)")
                #expect(try OpenConflictRecord.countsByCase(in: db) == Self.folded(in: db), "seed \(seed)")
            }
        }
    }
}

/// A count shared by the concurrent runs of a property.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
