import SyncCore
import SyncTestSupport

/// Operation histories for the benchmarks, generated before any measurement
/// starts. Everything is derived from a seed, so every run measures the same
/// operations.

// MARK: - Field-set histories (InMemoryApply, SQLiteApply)

/// A history of field sets on a fixed population of entities.
///
/// Sets are written one after another, as if by a single conversation moving
/// between `replicaCount` replicas: each set names the previous set of that
/// field (whoever wrote it) as its predecessor, so the history has no conflict
/// and every register keeps one head. Each replica's operations have strictly
/// increasing ids and contiguous sequence numbers 1, 2, 3, ...
public struct SetHistory: Sendable {
    /// One create per entity. In replica order they take the first sequence
    /// numbers of their replica.
    public let creates: [Operation]
    /// Field sets, in the order they were written.
    public let sets: [Operation]
    public let replicas: [ReplicaID]
    public let entities: [EntityID]

    public var createBatches: [[Operation]] { creates.batched(1_000) }
}

public enum Fixtures {
    public static let users = ["anna", "bo.jensen", "carla", "dorte-m"].map { UserID($0)! }

    /// The fields written, with a value template of a typical length for each:
    /// a short title, a note body of about 150 bytes, a status and a note kind.
    public static let fields: [(name: String, template: String)] = [
        ("title", "Home visit with the family "),
        ("body", "Talked with both parents about the school situation; the child wants to stay in the "
            + "current class. Agreed to meet the teacher next week. Follow-up note "),
        ("status", "in-progress "),
        ("kind", "meeting "),
    ]

    public static func value(field: Int, serial: Int) -> JSONValue {
        .string(fields[field].template + String(serial))
    }

    /// - Parameters:
    ///   - entityCount: entities created before the sets (one in 100 is a case,
    ///     the others are notes in that case).
    ///   - setCount: field sets, spread uniformly over entities and fields.
    ///   - replicaCount: replicas that author the operations, chosen at random per operation.
    public static func setHistory(entityCount: Int, setCount: Int, replicaCount: Int = 4, seed: UInt64) -> SetHistory {
        var random = SeededRandom(seed: seed)
        let replicas = (0..<replicaCount).map { _ in ReplicaID(using: &random) }
        let entities = (0..<entityCount).map { _ in EntityID(using: &random) }
        var nextSeq = [UInt64](repeating: 1, count: replicaCount)
        // One global clock: every operation is one millisecond after the one
        // before, so each replica's ids increase strictly.
        var milliseconds = ManualWallClock.monday

        func make(_ replica: Int, entity: Int, change: Operation.Change) -> Operation {
            defer {
                nextSeq[replica] += 1
                milliseconds += 1
            }
            let caseIndex = entity - entity % 100
            return Operation(
                id: OperationID(timestamp: HLCTimestamp(milliseconds: milliseconds, counter: 0), replica: replicas[replica]),
                seq: nextSeq[replica],
                author: users[replica % users.count],
                caseID: entities[caseIndex],
                entity: entities[entity],
                change: change)
        }

        var creates: [Operation] = []
        creates.reserveCapacity(entityCount)
        for entity in 0..<entityCount {
            let type = entity % 100 == 0 ? EntityType.caseFile : EntityType.note
            creates.append(make(entity % replicaCount, entity: entity, change: .create(entityType: type)))
        }

        var latest = [OperationID?](repeating: nil, count: entityCount * fields.count)
        var sets: [Operation] = []
        sets.reserveCapacity(setCount)
        for serial in 0..<setCount {
            let entity = Int.random(in: 0..<entityCount, using: &random)
            let field = Int.random(in: 0..<fields.count, using: &random)
            let replica = Int.random(in: 0..<replicaCount, using: &random)
            let slot = entity * fields.count + field
            let operation = make(replica, entity: entity, change: .set(
                field: fields[field].name,
                value: value(field: field, serial: serial),
                predecessors: latest[slot].map { [$0] } ?? []))
            latest[slot] = operation.id
            sets.append(operation)
        }
        return SetHistory(creates: creates, sets: sets, replicas: replicas, entities: entities)
    }

    // MARK: - Two replicas offline (TwoReplicaMerge)

    /// A shared starting point (entities created and their fields set once, on a
    /// third replica, and received by both A and B), then `offlineCount`
    /// operations written on A and on B each without seeing the other's, with
    /// `OperationAuthor` and the replica's own `ReplicaState`, on the same entities
    /// and fields: after the merge almost every field is in conflict.
    public struct OfflineHistory: Sendable {
        public let shared: [Operation]
        public let onA: [Operation]
        public let onB: [Operation]
    }

    public static func offlineHistory(entityCount: Int, offlineCount: Int, seed: UInt64) -> OfflineHistory {
        var random = SeededRandom(seed: seed)
        let startClock = ManualWallClock()
        var origin = OperationAuthor(replica: ReplicaID(using: &random), user: users[0], wallClock: startClock)
        var sharedState = ReplicaState()
        var shared: [Operation] = []

        func commit(_ operation: Operation, to state: inout ReplicaState, log: inout [Operation]) {
            try! state.apply([operation])
            log.append(operation)
        }

        var ids: [EntityID] = []
        var caseID: EntityID?
        for index in 0..<entityCount {
            startClock.advance(by: 250)
            let created: Operation
            if index % 50 == 0 {
                created = origin.create(EntityType.caseFile, inCase: nil, using: &random)
                caseID = created.entity
            } else {
                created = origin.create(EntityType.note, inCase: caseID, using: &random)
            }
            commit(created, to: &sharedState, log: &shared)
            ids.append(created.entity)
        }
        for (index, id) in ids.enumerated() {
            for field in fields.indices {
                startClock.advance(by: 250)
                let operation = try! origin.set(
                    fields[field].name, to: value(field: field, serial: index), on: sharedState.entities[id]!)
                commit(operation, to: &sharedState, log: &shared)
            }
        }

        func goOffline(user: UserID, seed: UInt64) -> [Operation] {
            var random = SeededRandom(seed: seed)
            let clock = ManualWallClock(milliseconds: startClock.milliseconds() + 60_000)
            var author = OperationAuthor(replica: ReplicaID(using: &random), user: user, wallClock: clock)
            author.observe(shared)
            var state = sharedState
            var written: [Operation] = []
            written.reserveCapacity(offlineCount)
            for serial in 0..<offlineCount {
                clock.advance(by: UInt64.random(in: 1...600, using: &random))
                let id = ids[Int.random(in: 0..<ids.count, using: &random)]
                let field = Int.random(in: 0..<fields.count, using: &random)
                let operation = try! author.set(
                    fields[field].name, to: value(field: field, serial: serial), on: state.entities[id]!)
                commit(operation, to: &state, log: &written)
            }
            return written
        }

        return OfflineHistory(
            shared: shared,
            onA: goOffline(user: users[1], seed: seed &+ 1),
            onB: goOffline(user: users[2], seed: seed &+ 2))
    }
}

// MARK: - Helpers

extension Array {
    /// Consecutive slices of at most `size` elements.
    public func batched(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}

/// Runs `body` and returns its result with the time it took.
public func timed<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try body()
    return (result, (clock.now - start).seconds)
}

extension Duration {
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
