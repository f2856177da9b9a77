import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

@Suite struct SyncSessionTests {
    static func holdings(_ knowledge: ReplicaKnowledge) -> Set<String> {
        var result: Set<String> = []
        for replica in knowledge.replicas {
            let top = knowledge.contiguous[replica, default: 0]
            if top > 0 { for seq in 1...top { result.insert("\(replica)#\(seq)") } }
            for seq in knowledge.extra[replica] ?? [] { result.insert("\(replica)#\(seq)") }
        }
        return result
    }

    /// A random subset of a history, delivered in random order, so that the
    /// knowledge has gaps and early arrivals.
    static func partialState(_ operations: [Operation], keep percent: Int, using random: inout SeededRandom) throws -> ReplicaState {
        var state = ReplicaState()
        try state.apply(operations.filter { _ in random.chance(percent) }.shuffled(using: &random))
        return state
    }

    @Test(.shrinking(false))
    func theSessionSendsExactlyWhatTheReceiverLacks() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SeededRandom(seed: seed)
            let history = HistoryGenerator.generate(seed: seed, steps: 50)
            do {
                let sender = try Self.partialState(history.operations, keep: 80, using: &random)
                let receiver = try Self.partialState(history.operations, keep: 50, using: &random)
                let ranges = SyncSession.missing(sender: sender.knowledge, receiver: receiver.knowledge)
                var sent: [String] = []
                for range in ranges {
                    for seq in range.seqs { sent.append("\(range.replica)#\(seq)") }
                }
                #expect(sent.count == Set(sent).count, "seed \(seed): a sequence number is sent twice")
                #expect(Set(sent) == Self.holdings(sender.knowledge).subtracting(Self.holdings(receiver.knowledge)),
                        "seed \(seed): not exactly what the receiver lacks")
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    /// The connection drops at random points: sometimes before a batch is
    /// stored, sometimes after it was stored but before the acknowledgement
    /// came back. Each time a new session starts from current knowledge.
    @Test(.shrinking(false))
    func anInterruptedSyncResumesWithoutLossOrDuplication() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SeededRandom(seed: seed)
            let history = HistoryGenerator.generate(seed: seed, steps: 60)
            do {
                var sender = ReplicaState()
                try sender.apply(history.operations)
                var receiver = try Self.partialState(history.operations, keep: 30, using: &random)
                let lacking = Self.holdings(sender.knowledge).subtracting(Self.holdings(receiver.knowledge)).count
                var stored = 0
                var deliveredTwice = 0
                var sessions = 0
                while sessions < 1_000 {
                    sessions += 1
                    var session = SyncSession(sender: sender.knowledge, receiver: receiver.knowledge, batchLimit: Int.random(in: 1...9, using: &random))
                    var interrupted = false
                    while let batch = session.nextBatch() {
                        let operations = batch.flatMap { sender.operations(of: $0.replica, seqs: $0.seqs) }
                        #expect(operations.count == batch.reduce(0) { $0 + $1.count }, "seed \(seed): sender lacks a planned operation")
                        if random.chance(10) { interrupted = true; break }  // lost before storing
                        let outcome = try receiver.apply(operations)
                        stored += outcome.applied.count
                        deliveredTwice += outcome.duplicates
                        if random.chance(10) { interrupted = true; break }  // stored, acknowledgement lost
                        session.acknowledge()
                    }
                    if !interrupted { break }
                }
                #expect(stored == lacking, "seed \(seed): stored \(stored) of \(lacking) lacking operations")
                #expect(deliveredTwice == 0, "seed \(seed): a resumed session re-sent stored operations")
                #expect(receiver.snapshots() == sender.snapshots(), "seed \(seed): receiver did not converge")
                #expect(receiver.knowledge == sender.knowledge)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test func batchesRespectTheLimitAndTheSequenceOrder() throws {
        let replica = ReplicaID(String(repeating: "a", count: 32))!
        let sender = ReplicaKnowledge(contiguous: [replica: 25])
        let receiver = ReplicaKnowledge(contiguous: [replica: 3], extra: [replica: [7, 8]])
        var session = SyncSession(sender: sender, receiver: receiver, batchLimit: 10)
        #expect(session.totalCount == 20)
        var batches: [[SequenceRange]] = []
        while let batch = session.nextBatch() {
            batches.append(batch)
            #expect(session.nextBatch() == batch, "an unacknowledged batch is handed out again")
            session.acknowledge()
        }
        #expect(batches.map { $0.reduce(0) { $0 + $1.count } } == [10, 10])
        #expect(batches.flatMap { $0 }.map(\.seqs) == [4...6, 9...15, 16...25])
        #expect(session.state == .finished && session.deliveredCount == 20)
    }

    @Test func aFailedBatchIsRetriedUnchanged() {
        let replica = ReplicaID(String(repeating: "b", count: 32))!
        var session = SyncSession(sender: ReplicaKnowledge(contiguous: [replica: 5]), receiver: ReplicaKnowledge(), batchLimit: 3)
        let first = session.nextBatch()
        session.batchFailed()
        #expect(session.nextBatch() == first)
        session.acknowledge()
        #expect(session.nextBatch() == [SequenceRange(replica: replica, seqs: 4...5)])
    }
}
