import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// `GET /v1/devices/current` (Protocol.md §10.2): what the server holds of the
/// device's own operations, which a laptop compares with what it was
/// acknowledged after a restore from a backup.
@Suite struct DeviceStateTests {
    @Test func heldRangesMergeWhatIsStoredAndWhatWasSetAside() {
        #expect(DeviceHoldings(contiguousThrough: 0, above: []).held == [])
        #expect(DeviceHoldings(contiguousThrough: 3, above: [5, 6, 9, 7, 2, 5]).held == [1...3, 5...7, 9...9])
        #expect(DeviceHoldings(contiguousThrough: 0, above: [4]).held == [4...4])
        #expect(DeviceHoldings(contiguousThrough: 2, above: [3, 4]).held == [1...4])
    }

    @Test func theStateNamesTheDeviceAndTheSequenceNumbersItsOperationsHold() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let empty = try await client.call(.get, "/v1/devices/current", token: anna.token)
            #expect(empty.status == .ok)
            let state = try empty.deviceState()
            #expect(state.device == anna.author.replica)
            #expect(state.user == "anna" && state.role == "caseworker")
            #expect(state.held.isEmpty)
            #expect(state.serverTime > 0)

            // A case (its creation, title and members), then a note that is
            // never sent, then a second case: the server holds two ranges.
            let caseID = try await anna.pushNewCase(via: client)
            let note = try anna.newNote(in: caseID, body: "Hjemmebesøg")
            let second = try anna.newCase(title: "Familien Berg")
            #expect(try await anna.push(second, via: client).status == .ok)
            let held = try await client.call(.get, "/v1/devices/current", token: anna.token)
            #expect(try held.deviceState().held == [1...(note[0].seq - 1), second.first!.seq...second.last!.seq])
            #expect(try await client.call(.get, "/v1/devices/current").status == .unauthorized)
        }
    }

    @Test func operationsSetAsideAtAnUpgradeCountAsHeld() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            _ = try await anna.pushNewCase(via: client)
            // As the quarantine migration leaves it: the last operation moved
            // out of the log, the replica's progress unchanged.
            let replica = anna.author.replica.description
            let before = try await client.call(.get, "/v1/devices/current", token: anna.token).deviceState().held
            try await harness.database.writer.write { db in
                let row = try #require(try Row.fetchOne(db, sql: "SELECT id, caseID, position, receivedAt, body FROM operation WHERE replica = ? ORDER BY seq DESC LIMIT 1", arguments: [replica]))
                try db.execute(sql: """
                    INSERT INTO quarantinedOperation (id, caseID, position, code, detail, receivedAt, body) VALUES (?, ?, ?, 'kind-not-allowed', 'test', ?, ?)
                    """, arguments: [row["id"] as String, row["caseID"] as String, row["position"] as Int64, row["receivedAt"] as Int64, row["body"] as Data])
                try db.execute(sql: "DELETE FROM operation WHERE id = ?", arguments: [row["id"] as String])
                try db.execute(sql: "DELETE FROM replicaProgress WHERE replica = ?", arguments: [replica])
            }
            let after = try await client.call(.get, "/v1/devices/current", token: anna.token).deviceState().held
            #expect(after == before)
        }
    }

    /// A review session writes under its replica after the highest sequence
    /// number the database holds for it: after a restore, that number can
    /// belong to an operation laptops already hold. A start ends the sessions.
    @Test func reviewSessionsEndWhenTheServerStarts() async throws {
        let harness = try await ServerHarness.make()
        guard case .signedIn(let cookie, let session) = try await harness.database.signInToReview(user: "dorte", password: ServerHarness.password) else {
            Issue.record("dorte could not sign in")
            return
        }
        #expect(try await harness.database.reviewSession(cookie: cookie) != nil)
        #expect(try await harness.database.endReviewSessions() == 1)
        #expect(try await harness.database.reviewSession(cookie: cookie) == nil)
        let events = try await harness.database.auditEvents(ServerDatabase.AuditQuery(actor: "dorte"))
        let ended = events.filter { $0.action == "logout" && $0.device == session.replica.description }
        #expect(ended.map { $0.detail.member("reason") } == [.string("server-start")])
        #expect(try await harness.database.endReviewSessions() == 0)
    }

    /// A hostile caseworker cannot make a change pass as accepted before: a
    /// proof counts only as the server's MAC of that very operation.
    @Test func aProofOfAnotherOperationOrAMadeUpOneOpensNothing() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            let note = try anna.newNote(in: caseID, body: "Hjemmebesøg")
            let receipt = try await anna.push(note, via: client)
            let someProof = try #require(try receipt.receipt().operations.first?.proof)
            // A caseworker may not add a colleague to a case.
            let share = try anna.write { a, s, _ in try a.add(.string("bo"), to: Case.Field.members, on: s.entity(caseID)!) }
            for proof in [someProof, "AAAAAAAAAAAAAAAAAAAAAA", String(someProof.reversed())] {
                let body = PushBatch(batch: "share-\(proof.prefix(4))", operations: [share], proofs: [share.id: proof])
                let refused = try await client.call(.post, "/v1/push", token: anna.token, document: body.encoded())
                #expect(refused.status == .forbidden && refused.problemCode == "membership-change-not-allowed", "\(refused.raw)")
            }
        }
    }
}

