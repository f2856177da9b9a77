import SyncCore

/// A random but reproducible collaborative history: several replicas (laptops
/// and the office) create cases, notes, participants and next steps, edit the
/// same fields concurrently, add and remove set elements, delete, finalize,
/// resolve conflicts, write fields and entity types this version does not know
/// (the merge must converge on anything; the write rules would refuse those),
/// and now and then exchange some of what they hold. One replica's clock runs a
/// day fast.
public struct SimulatedHistory: Sendable {
    public let seed: UInt64
    /// Every operation written, in the order it was written.
    public let operations: [Operation]
    /// Each replica's own state at the end (each saw only part of the history).
    public let replicaStates: [ReplicaState]
}

public enum HistoryGenerator {
    static let users = ["anna", "bo.jensen", "carla", "dorte-m"].map { UserID($0)! }
    static let registerFields: [String: [String]] = [
        EntityType.caseFile: [Case.Field.title, Case.Field.status, Case.Field.primaryCaseworker],
        EntityType.note: [Note.Field.body, Note.Field.title, Note.Field.kind, Note.Field.childView, "futureField"],
        EntityType.participant: [Participant.Field.name, Participant.Field.role, Participant.Field.age],
        EntityType.nextStep: [NextStep.Field.text, NextStep.Field.due, NextStep.Field.status],
        "meetingRecording": ["transcript", "durationSeconds"],
    ]
    static let setFields: [String: String] = [
        EntityType.caseFile: Case.Field.members,
        EntityType.note: Note.Field.present,
        "meetingRecording": "speakers",
    ]

    struct SimulatedReplica {
        var state = ReplicaState()
        var author: OperationAuthor
        let clock: ManualWallClock
    }

    public static func generate(seed: UInt64, steps: Int, replicaCount: Int = 3) -> SimulatedHistory {
        var random = SeededRandom(seed: seed)
        var replicas: [SimulatedReplica] = (0..<replicaCount).map { index in
            // The last replica's clock is a day fast: a laptop with a wrong date.
            let skew: UInt64 = index == replicaCount - 1 && replicaCount > 2 ? 86_400_000 : 0
            let clock = ManualWallClock(milliseconds: ManualWallClock.monday + skew)
            let author = OperationAuthor(
                replica: ReplicaID(using: &random), user: users[index % users.count], wallClock: clock)
            return SimulatedReplica(author: author, clock: clock)
        }
        var written: [Operation] = []

        func commit(_ operation: Operation, at index: Int) {
            // Applying one's own new operation cannot conflict.
            try! replicas[index].state.apply([operation])
            written.append(operation)
        }

        for _ in 0..<steps {
            let index = Int.random(in: 0..<replicas.count, using: &random)
            replicas[index].clock.advance(by: UInt64.random(in: 0...5_000, using: &random))
            let known = replicas[index].state.entities.keys.sorted()
            let roll = Int.random(in: 0..<100, using: &random)

            if known.isEmpty || roll < 6 {
                let created = replicas[index].author.create(EntityType.caseFile, inCase: nil, using: &random)
                commit(created, at: index)
                continue
            }
            let entityID = known.randomElement(using: &random)!
            let entity = replicas[index].state.entities[entityID]!
            let type = entity.entityType ?? EntityType.note

            switch roll {
            case 6..<18:
                let childTypes = [EntityType.note, EntityType.note, EntityType.participant, EntityType.nextStep, "meetingRecording"]
                let created = replicas[index].author.create(
                    childTypes.randomElement(using: &random)!, inCase: entity.caseID, using: &random)
                commit(created, at: index)
            case 18..<30:
                // Synchronisation: another replica sends some or all of what it holds.
                let source = Int.random(in: 0..<replicas.count, using: &random)
                guard source != index else { continue }
                var sent = replicas[source].state.entities.keys.sorted().flatMap {
                    replicas[source].state.entities[$0]!.orderedOperations
                }
                sent.shuffle(using: &random)
                if random.chance(40) { sent = Array(sent.prefix(sent.count / 2)) }
                try! replicas[index].state.apply(sent)
                replicas[index].author.observe(sent)
            case 30..<38:
                guard let field = setFields[type] else { continue }
                let present = entity.elements(of: field)
                let operation: Operation?
                if !present.isEmpty && random.chance(40) {
                    operation = try? replicas[index].author.remove(present.randomElement(using: &random)!, from: field, on: entity)
                } else {
                    let element: JSONValue = .string(["anna", "bo.jensen", "carla", "p1", "p2"].randomElement(using: &random)!)
                    operation = try? replicas[index].author.add(element, to: field, on: entity)
                }
                if let operation { commit(operation, at: index) }
            case 38..<39:
                commit(replicas[index].author.delete(entity), at: index)
            case 40..<46:
                if type == EntityType.note, let operation = try? replicas[index].author.finalize(entity) {
                    commit(operation, at: index)
                }
            case 39..<40, 46..<54:
                let open = replicas[index].state.conflicts().filter(\.isOpen)
                guard let conflict = open.randomElement(using: &random) else { continue }
                let value: JSONValue = random.chance(60)
                    ? conflict.values.randomElement(using: &random)!.value
                    : .string("merged \(Int.random(in: 0..<3, using: &random))")
                let operation = try! replicas[index].author.resolve(conflict, with: value, reason: "settled in review")
                commit(operation, at: index)
            case 54..<57:
                guard entity.isFinalized else { continue }
                let field = registerFields[type]!.randomElement(using: &random)!
                commit(replicas[index].author.addendum(field, value: "correction", on: entity), at: index)
            default:
                let field = registerFields[type]?.randomElement(using: &random) ?? "futureField"
                // Few distinct values, so concurrent writes sometimes agree.
                let value: JSONValue = random.chance(15)
                    ? .integer(Int64.random(in: 0..<3, using: &random))
                    : .string("\(field) \(Int.random(in: 0..<4, using: &random))")
                if let operation = try? replicas[index].author.set(field, to: value, on: entity) {
                    commit(operation, at: index)
                }
            }
        }
        return SimulatedHistory(seed: seed, operations: written, replicaStates: replicas.map(\.state))
    }
}
