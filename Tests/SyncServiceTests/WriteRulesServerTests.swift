import Foundation
import GRDB
import HummingbirdTesting
import SyncCore
import SyncPersistence
@testable import SyncService
import SyncTestSupport
import Testing

/// The write rules on the server's push, end to end: every operation kind on
/// every entity type, pushed by every role as a member and as a non-member,
/// answered with the status and code Protocol.md §10.1 gives; and the ways a
/// caseworker could change who may read a case before the rules were a
/// whitelist, each refused.
@Suite struct WriteRulesServerTests {
    enum Caller: String, CaseIterable, Sendable {
        case memberCaseworker, nonMemberCaseworker, memberSupervisor, nonMemberSupervisor, memberAdmin, nonMemberAdmin

        var user: String {
            switch self {
            case .memberCaseworker, .nonMemberCaseworker: "bo"
            case .memberSupervisor, .nonMemberSupervisor: "dorte"
            case .memberAdmin, .nonMemberAdmin: "root"
            }
        }
        var role: UserRole {
            switch self {
            case .memberCaseworker, .nonMemberCaseworker: .caseworker
            case .memberSupervisor, .nonMemberSupervisor: .supervisor
            case .memberAdmin, .nonMemberAdmin: .admin
            }
        }
        var isMember: Bool { [.memberCaseworker, .memberSupervisor, .memberAdmin].contains(self) }
    }

    static func status(of code: String?) -> Int {
        switch code {
        case nil: 200
        case "not-a-member", "membership-change-not-allowed", "resolution-not-allowed": 403
        case "unknown-entity", "unknown-case": 404
        case "entity-exists", "case-mismatch": 409
        default: 422
        }
    }

    /// Anna's case with a note, a participant and a next step, and an entity
    /// of a type this version refuses, stored as an earlier server would have;
    /// the supervisor shares it with the caller when the caller is a member.
    static func storeFixture(
        sharedWith caller: Caller, dorte: inout Laptop, harness: ServerHarness, client: any TestClientProtocol
    ) async throws -> WriteRulesFixture.Fixture {
        var fixture = try WriteRulesFixture.Fixture()
        fixture.random = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
        let operations = fixture.state.entities.values.flatMap(\.orderedOperations).sorted { $0.id < $1.id }
        let (caseID, caseState) = (fixture.caseID!, fixture.state.entity(fixture.caseID)!)
        try await harness.database.writer.write { db in
            _ = try OperationLog.apply(operations, receivedAt: 1, codec: OperationCodec(), in: db)
            _ = try CaseAccess.refreshMembership(of: caseID, state: caseState, in: db)
        }
        if caller.isMember {
            _ = try await dorte.pull(via: client)
            let share = try dorte.write { a, s, _ in try a.add(.string(caller.user), to: Case.Field.members, on: s.entity(fixture.caseID)!) }
            let reply = try await dorte.push([share], via: client)
            try #require(reply.status == .ok, "sharing failed: \(reply.raw)")
            try fixture.apply([share])
        }
        return fixture
    }

    @Test(arguments: Caller.allCases)
    func everyKindOnEveryTypeAsThePushAnswersIt(caller: Caller) async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var dorte = try await client.login("dorte")
            var device = caller.user == "dorte" ? dorte : try await client.login(caller.user)
            for (kind, type) in WriteRulesFixture.cells {
                var fixture = try await Self.storeFixture(sharedWith: caller, dorte: &dorte, harness: harness, client: client)
                if caller.user == "dorte" { device.author = dorte.author }
                device.author.observe(fixture.state.entities.values.flatMap(\.orderedOperations))
                let operation = try fixture.operation(kind, on: type, by: &device.author)
                if caller.user == "dorte" { dorte.author = device.author }
                let reply = try await device.push([operation], batch: "m-\(kind)-\(type)", via: client)
                let code = WriteRulesFixture.expected(kind: kind, type: type, role: caller.role, member: caller.isMember)
                #expect(Int(reply.status.code) == Self.status(of: code) && reply.problemCode == code,
                        "\(caller) \(kind) on \(type): \(reply.status.code) \(reply.raw)")
                if code != nil { #expect(reply.problem?.path?.hasPrefix("operations[0]") == true, "\(reply.raw)") }
            }
        }
    }

    /// Each way a member caseworker could freeze, hide or take over a case's
    /// membership through an operation that names no membership field.
    @Test func aCaseworkerCannotFreezeHideOrTakeOverMembership() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var dorte = try await client.login("dorte")
            let caseID = try await anna.pushNewCase(via: client)
            _ = try await anna.pull(via: client)
            _ = try await dorte.pull(via: client)
            let share = try dorte.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) }
            #expect(try await dorte.push([share], via: client).status == .ok)
            var bo = try await client.login("bo")
            _ = try await bo.pull(via: client)

            // Freeze: a finalization of the case would make every later change of members late.
            let freeze = try bo.write { a, s, _ in try a.finalize(s.entity(caseID)!) }
            let frozen = try await bo.push([freeze], via: client)
            #expect(frozen.status == .unprocessableContent && frozen.problemCode == "kind-not-allowed", "\(frozen.raw)")
            // Hide: a tombstone on the case.
            let hide = bo.write { a, s, _ in a.delete(s.entity(caseID)!) }
            let hidden = try await bo.push([hide], batch: "hide", via: client)
            #expect(hidden.status == .unprocessableContent && hidden.problemCode == "kind-not-allowed", "\(hidden.raw)")
            // Take over: a second create of the case, stamped before the first, would make bo its creator.
            let template = bo.write { a, s, _ in a.delete(s.entity(caseID)!) }
            let early = OperationID(timestamp: HLCTimestamp(milliseconds: HLCTimestamp.earliestMilliseconds, counter: 0), replica: template.replica)
            let takeOver = SyncCore.Operation(id: early, seq: template.seq, author: template.author, caseID: caseID, entity: caseID,
                                              change: .create(entityType: EntityType.caseFile))
            let takenOver = try await bo.push([takeOver], batch: "take", via: client)
            #expect(takenOver.status == .conflict && takenOver.problemCode == "entity-exists", "\(takenOver.raw)")

            // The supervisor still hands the case over to bo alone.
            _ = try await dorte.pull(via: client)
            let handover = try dorte.write { a, s, _ in try a.remove("anna", from: Case.Field.members, on: s.entity(caseID)!) }
            #expect(try await dorte.push([handover], via: client).status == .ok)
            _ = try await anna.pull(via: client)
            #expect(anna.removedCases.contains(caseID.description))
        }
    }

    /// The laptop pushes its outbox 500 operations at a time: a new case's
    /// create can land in one batch and its creator's enrolment in the next.
    /// That enrolment changes nobody's access (a case whose members were never
    /// written is its creator's) and is accepted; anyone else's is not.
    @Test func aCreatorEnrolsInTheirCaseInTheBatchAfterItsCreation() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            #expect(try await anna.push(Array(caseOps[0...1]), batch: "first", via: client).status == .ok)
            let enrolment = try await anna.push(Array(caseOps[2...]), batch: "second", via: client)
            #expect(enrolment.status == .ok, "\(enrolment.raw)")
            // Twice in one batch is the same as once (§8).
            let note = try anna.newNote(in: caseID, body: "Hjemmebesøg.")
            #expect(try await anna.push([note[0], note[0], note[1]], batch: "twice", via: client).status == .ok)

            var bo = try await client.login("bo")
            let bosCase = try bo.newCase(title: "Familien Berg")
            #expect(try await bo.push(Array(bosCase[0...1]), batch: "b1", via: client).status == .ok)
            // Someone else's case: anna may not enrol in it, even unwritten.
            let intrusion = try anna.write { a, _, _ in
                var state = EntityState(id: bosCase[0].entity)
                state.apply(bosCase[0])
                return try a.add("anna", to: Case.Field.members, on: state)
            }
            let refused = try await anna.push([intrusion], batch: "intrude", via: client)
            #expect(refused.status == .forbidden && refused.problemCode == "not-a-member", "\(refused.raw)")
            // Once a supervisor has written the members, the creator's late enrolment is a change: refused.
            var dorte = try await client.login("dorte")
            _ = try await dorte.pull(via: client)
            let share = try dorte.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(bosCase[0].entity)!) }
            #expect(try await dorte.push([share], via: client).status == .ok)
            let late = try await bo.push(Array(bosCase[2...]), batch: "b2", via: client)
            #expect(late.status == .forbidden && late.problemCode == "membership-change-not-allowed", "\(late.raw)")
        }
    }

    /// A finalization of a case that an earlier server stored does not freeze
    /// its membership: the supervisor's later share still takes effect.
    @Test func aStoredFinalizationOfACaseDoesNotFreezeItsMembers() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var dorte = try await client.login("dorte")
            let caseID = try await anna.pushNewCase(via: client)
            let freeze = try anna.write { a, s, _ in try a.finalize(s.entity(caseID)!) }
            try await harness.database.writer.write { db in
                _ = try OperationLog.apply([freeze], receivedAt: 1, codec: OperationCodec(), in: db)
            }
            _ = try await dorte.pull(via: client)
            // A finalization of a case has no effect: the supervisor shares it as usual.
            let share = try dorte.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) }
            let reply = try await dorte.push([share], via: client)
            #expect(reply.status == .ok, "\(reply.raw)")
            var bo = try await client.login("bo")
            _ = try await bo.pull(via: client)
            #expect(bo.state.entity(caseID) != nil, "bo was shared the case, but the stored finalization froze its members")
        }
    }
}
