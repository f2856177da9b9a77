@testable import FieldKit
import Foundation
import GRDB
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// A supervisor who settles a conflict offline and is no longer one when the
/// laptop syncs: the server refuses the decision for good. The laptop takes
/// it back and goes on syncing, instead of failing every sync from then on.
@Suite struct DemotedSupervisorTests {
    @Test func aDecisionRefusedForTheRoleIsTakenBackAndTheSyncGoesOn() async throws {
        try await TwoLaptopsTests.withServer { database, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let (caseID, _) = try await CaseworkOperationsTests.noteInConflict(anna, dorte)
            let conflict = try #require(try await dorte.openConflicts(in: caseID).conflicts.first)
            // She works on the case herself: a member still after the demotion.
            try await dorte.shareCase(caseID, with: "dorte")
            _ = try await dorte.sync()

            // Offline: dorte settles it, and writes a note of her own after it.
            try await dorte.resolveConflict(conflict.id, .value(number: 1), reason: "Mor bekræfter", shownValues: conflict.values.map(\.operation))
            let later = try await dorte.addNote(in: caseID, NoteDraft(kind: .phone, body: "Ringede til skolen."))
            #expect(try await dorte.openConflicts().conflicts.isEmpty)
            #expect(try await dorte.syncState().openConflicts == 0)

            // Meanwhile the office made her a caseworker.
            try await database.writer.write { db in try db.execute(sql: "UPDATE user SET role = 'caseworker' WHERE name = 'dorte'") }
            database.tokenCache.removeAll()

            let report = try await dorte.sync()
            #expect(report.withdrawn.count == 1)
            #expect(report.withdrawn.first?.code == "resolution-not-allowed")
            #expect(try await Self.withdrawnKept(dorte) == ["resolution-not-allowed"])
            #expect(report.role == "caseworker")
            // Her note went; the decision did not, and the laptop shows what the office holds.
            #expect(try await Self.waiting(dorte) == 0)
            _ = try await anna.sync()
            #expect(try await anna.replica.entity(later) != nil)
            #expect(try await anna.openConflicts().conflicts.map(\.id) == [conflict.id])
            #expect(try await dorte.openConflicts().conflicts.map(\.id) == [conflict.id])
            #expect(try await dorte.syncState().openConflicts == 1)
            // From this sync on she is offered no decision, in this session and the next.
            #expect(!dorte.reloadingRole().maySettleConflicts)
            #expect(try FieldSettings.load(from: dorte.paths)?.role == "caseworker")
            // And the next sync has nothing left to stumble on.
            let next = try await dorte.sync()
            #expect(next.withdrawn.isEmpty && next.pushed == 0)
        }
    }

    @Test func onlyADecisionMadeUnderARoleSinceLostIsTakenBack() throws {
        let conflict = try ConflictSettlingRulesTests.citizenReferenceConflict()
        var random = SeededRandom(seed: 5)
        var dorte = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("dorte")!,
                                    wallClock: ManualWallClock(milliseconds: 1_796_000_000_000))
        let decision = try dorte.resolve(conflict, with: .string("0101-A"), reason: "Mor bekræfter")
        let created = try LocalReplica.creation(EntityType.caseFile, inCase: nil, fields: [(Case.Field.title, .string("Holm"))],
                                                elements: [(Case.Field.members, .string("dorte")), (Case.Field.members, .string("bo"))],
                                                by: &dorte)
        let enrolsHerself = try #require(created.first { if case .add(_, .string("dorte")) = $0.change { true } else { false } })
        let enrolsBo = try #require(created.first { if case .add(_, .string("bo")) = $0.change { true } else { false } })
        let lost = { (operation: SyncCore.Operation, code: String, now: String?) in
            SyncEngine.isRefusedForARoleLost(operation, code: code, user: UserID("dorte")!, now: now)
        }
        #expect(lost(decision, "resolution-not-allowed", "caseworker"))
        #expect(lost(enrolsBo, "membership-change-not-allowed", "caseworker"))
        // Still allowed, a role this version does not know, or nothing said
        // of it: the sync stops and keeps everything.
        #expect(!lost(decision, "resolution-not-allowed", "supervisor"))
        #expect(!lost(decision, "resolution-not-allowed", "archivist"))
        #expect(!lost(decision, "resolution-not-allowed", nil))
        // Another refusal; a role code on what it cannot be about; her own
        // enrolment, which any creator may write.
        #expect(!lost(decision, "not-a-member", "caseworker"))
        #expect(!lost(decision, "membership-change-not-allowed", "caseworker"))
        #expect(!lost(enrolsHerself, "membership-change-not-allowed", "caseworker"))
    }

    /// What was taken back stays on the laptop, sealed, for the record.
    static func withdrawnKept(_ session: FieldSession) async throws -> [String] {
        try await session.replica.writer.read { db in try String.fetchAll(db, sql: "SELECT code FROM withdrawnOperation") }
    }

    static func waiting(_ session: FieldSession) async throws -> Int {
        try await session.replica.status().waitingOperations
    }
}
