import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// Convergence, proven over generated histories: whatever order, duplication or
/// partition the operations of a history are delivered in, every replica ends
/// with the same state and the same conflict records, and nothing written is
/// missing.
@Suite struct ConvergenceTests {
    /// Applies the history in the order it was written: the reference.
    static func reference(_ operations: [Operation]) throws -> ReplicaState {
        var state = ReplicaState()
        try state.apply(operations)
        return state
    }

    /// Random order, each operation possibly delivered several times, in
    /// batches of random size.
    static func shuffledWithDuplicates(_ operations: [Operation], using random: inout SeededRandom) throws -> ReplicaState {
        var deliveries = operations
        for operation in operations where random.chance(30) { deliveries.append(operation) }
        deliveries.shuffle(using: &random)
        var state = ReplicaState()
        var rest = deliveries[...]
        while !rest.isEmpty {
            let size = Int.random(in: 1...max(1, rest.count / 3), using: &random)
            try state.apply(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return state
    }

    /// The topology that runs: laptops that each hold a part of the history
    /// (what they wrote or pulled before going offline) push it to the server
    /// in batches of random size, interleaved at random, some batches twice
    /// (a retry after a lost receipt); then a laptop pulls the server's
    /// operations in the order the server stored them, in pages of random
    /// size, on top of what it held.
    static func throughOneServer(_ operations: [Operation], using random: inout SeededRandom) throws -> ReplicaState {
        let laptopCount = Int.random(in: 2...4, using: &random)
        var parts = Array(repeating: [Operation](), count: laptopCount)
        for operation in operations.shuffled(using: &random) {
            parts[Int.random(in: 0..<laptopCount, using: &random)].append(operation)
        }
        let laptops = try parts.map(reference)
        var server = ReplicaState()
        var serverLog: [Operation] = []
        var outboxes = parts.map { $0[...] }
        while let laptop = outboxes.indices.filter({ !outboxes[$0].isEmpty }).randomElement(using: &random) {
            let size = Int.random(in: 1...7, using: &random)
            let batch = Array(outboxes[laptop].prefix(size))
            let outcome = try server.apply(batch)
            if random.chance(20) { _ = try server.apply(batch) }
            let stored = Set(outcome.applied)
            serverLog += batch.filter { stored.contains($0.id) }
            outboxes[laptop] = outboxes[laptop].dropFirst(size)
        }
        var laptop = laptops[Int.random(in: 0..<laptopCount, using: &random)]
        var rest = serverLog[...]
        while !rest.isEmpty {
            let size = Int.random(in: 1...7, using: &random)
            try laptop.apply(Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        return laptop
    }

    @Test(.shrinking(false))
    func everyDeliveryConverges() async {
        await propertyCheck(count: 1_000, input: Gen.uint64()) { seed in
            let history = HistoryGenerator.generate(seed: seed, steps: 60)
            var random = SeededRandom(seed: seed ^ 0xD1B5_4A32_D192_ED03)
            do {
                let expected = try Self.reference(history.operations)
                let reversed = try Self.reference(history.operations.reversed())
                let shuffled = try Self.shuffledWithDuplicates(history.operations, using: &random)
                let throughServer = try Self.throughOneServer(history.operations, using: &random)
                let expectedSnapshots = expected.snapshots()
                #expect(reversed.snapshots() == expectedSnapshots, "reverse order diverged; seed \(seed)")
                #expect(shuffled.snapshots() == expectedSnapshots, "shuffled delivery diverged; seed \(seed)")
                #expect(throughServer.snapshots() == expectedSnapshots, "delivery through the server diverged; seed \(seed)")
                #expect(throughServer.knowledge == expected.knowledge, "held sequence numbers diverged; seed \(seed)")
                #expect(throughServer.conflicts() == expected.conflicts(), "conflicts diverged through the server; seed \(seed)")
                #expect(shuffled.conflicts() == expected.conflicts(), "conflicts diverged; seed \(seed)")
                #expect(expected.operationCount == history.operations.count)
                NothingLost.check(expected, history: history.operations, seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }
}

/// "No value is ever discarded": every value written is visible, in an open
/// conflict, in a resolution's record, an addendum, or was replaced by a writer
/// who had seen it; and every operation stays in the entity's history.
enum NothingLost {
    static func check(_ state: ReplicaState, history: [Operation], seed: UInt64) {
        var replacedBySomeone: Set<OperationID> = []
        for entity in state.entities.values {
            for operation in entity.operations.values {
                switch operation.change {
                case .set(_, _, let predecessors), .remove(_, _, let predecessors): replacedBySomeone.formUnion(predecessors)
                case .resolve(_, _, let supersedes, _): replacedBySomeone.formUnion(supersedes)
                default: break
                }
            }
        }
        for operation in history {
            guard let entity = state.entity(operation.entity) else {
                Issue.record("seed \(seed): entity of \(operation.id) missing")
                continue
            }
            #expect(entity.operations[operation.id] == operation, "seed \(seed): \(operation.id) missing from history")
            guard case .set(let field, let value, _) = operation.change else { continue }
            let conflicts = entity.conflicts()
            let visible = entity.value(of: field) == value
            let inConflict = conflicts.contains { $0.values.contains { $0.operation == operation.id } }
            let inAddendum = entity.addenda().contains { $0.value.operation == operation.id }
            let replaced = replacedBySomeone.contains(operation.id)
            let equalToConcurrent = entity.concurrentOperations(of: field).contains { head in
                entity.operations[head].flatMap { if case .set(_, let other, _) = $0.change { other } else { nil } } == value
            }
            #expect(
                visible || inConflict || inAddendum || replaced || equalToConcurrent,
                "seed \(seed): value of \(operation.id) on \(field) is neither visible, in conflict, an addendum, nor replaced")
        }
    }
}
