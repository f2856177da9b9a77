import Foundation
import HummingbirdTesting
import SyncCore
@testable import SyncService
import Testing

/// Uploaded offline reads are evidence: only reads a device could have made
/// reach the access log, and its export is never cut.
@Suite struct OfflineReadTests {
    static var now: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func read(_ caseID: EntityID, at: Int64 = now - 1_000, what: String = "case-show", entity: EntityID? = nil) -> PushBatch.Read {
        PushBatch.Read(at: at, caseID: caseID, entity: entity, what: what)
    }

    static func events(_ action: String, case caseID: EntityID? = nil, in harness: ServerHarness) async throws -> [AuditEvent] {
        try await harness.database.auditEvents(.init(caseID: caseID?.description, limit: 100_000)).filter { $0.action == action }
    }

    @Test func onlyReadsOfHeldCasesAtPossibleTimesAreLogged() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var bo = try await client.login("bo")
            let annasCase = try anna.newCase(title: "Familien Holm")
            let bosCase = try await bo.pushNewCase(title: "Familien Berg", via: client)
            let flood = (0..<50).map { _ in Self.read(bosCase) }
            let reads = [Self.read(annasCase[0].entity)] + flood + [
                Self.read(annasCase[0].entity, at: Self.now + 3_600_000),
                Self.read(annasCase[0].entity, at: Self.now - 30 * 86_400_000),
                // Her case, but a note of bo's: it would show in her case's log as read.
                Self.read(annasCase[0].entity, what: "note-show", entity: bosCase),
            ]
            let reply = try await client.call(.post, "/v1/push", token: anna.token,
                                              document: Laptop.pushBody(annasCase, batch: "reads", reads: reads))
            #expect(reply.status == .ok, "the operations still go through: \(reply.raw)")
            #expect(try await Self.events("device-read", case: annasCase[0].entity, in: harness).count == 1)
            #expect(try await Self.events("device-read", case: bosCase, in: harness).isEmpty,
                    "anna wrote reads into the access log of a case she never held")
            let refused = try #require(try await Self.events("device-reads-refused", in: harness).first)
            #expect(refused.actor == "anna")
            #expect(refused.detail.member("refused") == ["case-not-held": 50, "in-the-future": 1, "before-sign-in": 1, "entity-not-in-case": 1])
        }
    }

    @Test func aCaseTakenAwaySinceTheReadStillTakesItsReads() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var dorte = try await client.login("dorte")
            let caseID = try await anna.pushNewCase(via: client)
            _ = try await anna.pull(via: client)
            // Read offline; meanwhile the case is handed over to bo.
            _ = try await dorte.pull(via: client)
            let handover = try [
                dorte.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) },
                dorte.write { a, s, _ in try a.remove("anna", from: Case.Field.members, on: s.entity(caseID)!) },
            ]
            #expect(try await dorte.push(handover, via: client).status == .ok)
            let reply = try await client.call(.post, "/v1/push", token: anna.token,
                                              document: Laptop.pushBody([], batch: "late-reads", reads: [Self.read(caseID)]))
            #expect(reply.status == .ok)
            #expect(try await Self.events("device-read", case: caseID, in: harness).count == 1)
        }
    }

    /// Per user, over every device: a new sign-in does not start a new day.
    @Test func aUsersDayOfReadsIsCapped() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            let full = Array(repeating: Self.read(caseID), count: PushBatch.maximumReads)
            var sent = 0
            while sent < OfflineReadCheck.maximumPerUserPerDay {
                let reply = try await client.call(.post, "/v1/push", token: anna.token, document: Laptop.pushBody([], batch: "r\(sent)", reads: full))
                #expect(reply.status == .ok)
                sent += full.count
            }
            let secondLaptop = try await client.login("anna")
            let over = try await client.call(.post, "/v1/push", token: secondLaptop.token,
                                             document: Laptop.pushBody([], batch: "over", reads: [Self.read(caseID), Self.read(caseID)]))
            #expect(over.status == .ok)
            #expect(try await Self.events("device-read", case: caseID, in: harness).count == OfflineReadCheck.maximumPerUserPerDay)
            let refused = try await Self.events("device-reads-refused", in: harness)
            #expect(refused.first?.detail.member("refused") == ["over-daily-cap": 2])
        }
    }

    /// More events than the export once held (100,000), and more than a page.
    @Test func theAccessLogExportHoldsEveryEvent() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let caseID = "c0ffee00112233445566778899aabbcc"
            let count = 100_017
            let at = Self.now
            try await harness.database.writer.write { db in
                for index in 0..<count {
                    try AuditLog.record(.deviceRead, actor: "anna", device: nil, caseID: caseID,
                                        detail: ["what": "case-show", "n": .integer(Int64(index))], source: "device", at: at, in: db)
                }
            }
            var browser = ReviewBrowser()
            try await browser.signIn("dorte", via: client)
            let csv = try await browser.get("/review/access-log.csv?case=\(caseID)", via: client)
            let lines = csv.html.components(separatedBy: "\r\n").filter { !$0.isEmpty }
            let actions = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[5] }
            #expect(actions.filter { $0 == "device-read" }.count == count, "the export was cut")
            let ids = lines.dropFirst().compactMap { Int64($0.prefix { $0 != "," }) }
            #expect(ids.count == count && zip(ids, ids.dropFirst()).allSatisfy { $0 > $1 }, "newest first, each event once")
            let exported = try await Self.events("audit-exported", in: harness)
            #expect(exported.first?.detail.member("count") == .integer(Int64(count)))
        }
    }
}
