import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// Nothing a caseworker writes changes who may read a case, beyond what
/// Protocol.md §10.3 allows (enrolling themselves in the batch that creates
/// the case), whatever kinds, fields, values, predecessors and timestamps
/// they choose; and a supervisor can always set a case's membership to what
/// it should be. Proven over generated histories in which caseworkers write
/// hostile operations at random and the server's write rules decide.
@Suite struct CaseMembershipPropertyTests {
    static let caseworkers = ["anna", "bo", "carla"]
    static let everyone = caseworkers + ["dorte"]
    static let fields = [Case.Field.members, Case.Field.primaryCaseworker, Case.Field.title, Case.Field.status,
                         Note.Field.body, Note.Field.present, "futureField"]
    static let types = [EntityType.caseFile, EntityType.note, EntityType.participant, EntityType.nextStep, "meetingRecording"]

    /// A server as far as these rules go: what it holds, and the write rules.
    struct Server {
        var state = ReplicaState()
        var held = HeldEntityIndex()
        var roles: [String: UserRole] = ["anna": .caseworker, "bo": .caseworker, "carla": .caseworker, "dorte": .supervisor]

        var cases: [EntityID] {
            state.entities.values.filter { $0.entityType == EntityType.caseFile }.map(\.id).sorted()
        }

        func members(_ caseID: EntityID) -> Set<String> {
            state.entity(caseID).map(CaseMembership.members(of:)) ?? []
        }

        /// Stores the batch if the write rules accept it; returns whether they did.
        mutating func push(_ batch: [Operation], by user: String) throws -> Bool {
            let role = roles[user]!
            let writer = WriteRules.Writer(user: UserID(user)!, role: role) { [self] caseID in
                role.seesEveryCase || members(caseID).contains(user)
            }
            do { try WriteRules.check(batch, by: writer, holding: held) } catch is WriteRefusal { return false }
            try state.apply(batch)
            held.record(batch)
            return true
        }
    }

    /// A hostile caseworker's batch: any kind, on any entity held or new, in
    /// any case, with any field, value and predecessors, stamped at any valid
    /// time (early stamps would win "earliest create" if a second create got in).
    static func hostileBatch(by user: String, replica: ReplicaID, seq: inout UInt64, server: Server,
                             using random: inout SeededRandom) -> [Operation] {
        var batch: [Operation] = []
        let held = server.state.entities.keys.sorted()
        let allOperations = server.state.entities.values.flatMap { $0.operations.keys }.sorted()
        let newCase = EntityID(using: &random)
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let entity: EntityID
            let caseID: EntityID
            if !held.isEmpty && random.chance(75) {
                entity = held.randomElement(using: &random)!
                caseID = random.chance(90) ? server.state.entity(entity)!.caseID : (server.cases.randomElement(using: &random) ?? entity)
            } else if random.chance(50) {
                (entity, caseID) = (newCase, newCase)
            } else {
                entity = EntityID(using: &random)
                caseID = random.chance(50) ? newCase : (server.cases.randomElement(using: &random) ?? newCase)
            }
            let field = fields.randomElement(using: &random)!
            let value: JSONValue = random.chance(70) ? .string(everyone.randomElement(using: &random)!) : .bool(true)
            let predecessors = (0..<Int.random(in: 0...2, using: &random)).compactMap { _ in allOperations.randomElement(using: &random) }
            let change: Operation.Change = switch Int.random(in: 0..<7, using: &random) {
            case 0: .create(entityType: types.randomElement(using: &random)!)
            case 1: .set(field: field, value: value, predecessors: predecessors)
            case 2: .add(field: field, element: value)
            case 3: .remove(field: field, element: value, predecessors: predecessors)
            case 4: .delete
            case 5: .finalize(context: Dictionary([(Case.Field.members, predecessors), (field, predecessors)], uniquingKeysWith: { a, _ in a }))
            default: .resolve(field: field, value: value, supersedes: predecessors.isEmpty ? allOperations.prefix(1).map { $0 } : predecessors, reason: "mine")
            }
            let milliseconds = random.chance(30) ? HLCTimestamp.earliestMilliseconds + UInt64.random(in: 0..<1000, using: &random)
                : UInt64.random(in: HLCTimestamp.earliestMilliseconds..<HLCTimestamp.latestMilliseconds, using: &random)
            batch.append(Operation(
                id: OperationID(timestamp: HLCTimestamp(milliseconds: milliseconds, counter: seq & 0xFFFF), replica: replica),
                seq: seq, author: UserID(user)!, caseID: caseID, entity: entity, change: change))
            seq += 1
        }
        return batch
    }

    @Test(.shrinking(false))
    func caseworkersCannotChangeMembershipAndSupervisorsCanAlwaysRepairIt() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var random = SeededRandom(seed: seed)
            var server = Server()
            let clock = ManualWallClock()
            var dorte = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("dorte")!, wallClock: clock)
            var replicas: [String: (replica: ReplicaID, seq: UInt64)] = [:]
            for user in Self.caseworkers { replicas[user] = (ReplicaID(using: &random), 1) }
            do {
                for _ in 0..<40 {
                    clock.advance(by: 1_000)
                    if random.chance(25) {
                        // The supervisor shares or takes away a case.
                        guard let caseID = server.cases.randomElement(using: &random) else { continue }
                        dorte.observe(server.state.entities.values.flatMap(\.orderedOperations))
                        let user = Self.caseworkers.randomElement(using: &random)!
                        let state = server.state.entity(caseID)!
                        let operation = server.members(caseID).contains(user) && random.chance(50)
                            ? try? dorte.remove(.string(user), from: Case.Field.members, on: state)
                            : try? dorte.add(.string(user), to: Case.Field.members, on: state)
                        if let operation { #expect(try server.push([operation], by: "dorte"), "seed \(seed): supervisor refused") }
                        continue
                    }
                    let user = Self.caseworkers.randomElement(using: &random)!
                    var seq = replicas[user]!.seq
                    let batch = Self.hostileBatch(by: user, replica: replicas[user]!.replica, seq: &seq, server: server, using: &random)
                    let before = Dictionary(uniqueKeysWithValues: server.cases.map { ($0, server.members($0)) })
                    guard try server.push(batch, by: user) else { continue }
                    replicas[user]!.seq = seq
                    for caseID in server.cases {
                        if let previous = before[caseID] {
                            #expect(server.members(caseID) == previous, "seed \(seed): \(user) changed the members of \(caseID)")
                        } else {
                            // §10.3: a caseworker creates a case for themselves only.
                            #expect(server.members(caseID) == [user], "seed \(seed): new case \(caseID) has \(server.members(caseID))")
                        }
                    }
                }
                // Whatever happened, the supervisor sets each case's members to what they should be.
                for caseID in server.cases {
                    let target = Set(Self.caseworkers.filter { _ in random.chance(50) })
                    dorte.observe(server.state.entities.values.flatMap(\.orderedOperations))
                    if !CaseMembership.isWritten(server.state.entity(caseID)!) {
                        // Members never written: the case is its creator's; write that down first.
                        let creator = server.members(caseID).first!
                        #expect(try server.push([try dorte.add(.string(creator), to: Case.Field.members, on: server.state.entity(caseID)!)], by: "dorte"))
                    }
                    for user in Self.everyone {
                        let state = server.state.entity(caseID)!
                        let current = server.members(caseID)
                        var operation: Operation?
                        if target.contains(user) && !current.contains(user) {
                            operation = try dorte.add(.string(user), to: Case.Field.members, on: state)
                        } else if !target.contains(user) {
                            // Every live addition of the user, also ones of a
                            // case whose members were never written.
                            let tags = state.liveTags(of: .string(user), in: Case.Field.members)
                            if !tags.isEmpty { operation = try dorte.remove(.string(user), from: Case.Field.members, on: state) }
                        }
                        if let operation { #expect(try server.push([operation], by: "dorte"), "seed \(seed): repair refused") }
                    }
                    #expect(server.members(caseID) == target, "seed \(seed): repair of \(caseID) gave \(server.members(caseID)), wanted \(target)")
                }
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }
}
