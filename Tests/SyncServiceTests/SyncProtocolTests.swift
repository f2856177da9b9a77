import Foundation
import HummingbirdTesting
import SyncCore
import SyncService
import Testing

@Suite struct SyncProtocolTests {
    @Test func loginIssuesATokenAndAWrongPasswordIsRefusedAndLogged() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let laptop = try await client.login("anna")
            #expect(laptop.token.hasPrefix("cwt_") && laptop.token.count >= 47)
            let wrong = try await client.call(.post, "/v1/devices", document: DeviceSignIn(user: "anna", password: "guess guess guess", deviceName: "x").encoded())
            #expect(wrong.status == .unauthorized && wrong.problemCode == "invalid-credentials")
            let unknown = try await client.call(.post, "/v1/devices", document: DeviceSignIn(user: "nobody", password: "guess guess guess", deviceName: "x").encoded())
            #expect(unknown.status == .unauthorized && unknown.problemCode == "invalid-credentials")
            let root = try await client.login("root")
            let audit = try await client.call(.get, "/v1/audit?user=anna", token: root.token)
            let actions = audit.body.member("events")?.arrayValue.compactMap { $0.member("action")?.stringValue } ?? []
            #expect(actions.contains("login") && actions.contains("login-failed"))
        }
    }

    @Test func pushIsAcknowledgedWithPositionsAndARetryStoresNothingTwice() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let operations = try anna.newCase(title: "Familien Holm")
            let first = try await anna.push(operations, batch: "batch-1", via: client)
            #expect(first.status == .ok)
            let receipt = try first.receipt()
            #expect(receipt.stored == 4 && receipt.duplicates == 0)
            #expect(receipt.operations.map(\.id) == operations.map(\.id))
            let retry = try await anna.push(operations, batch: "batch-1", via: client)
            #expect(retry.raw == first.raw, "a retried batch returns the same receipt")
            let overlapping = try await anna.push(operations, batch: "batch-2", via: client)
            #expect(overlapping.status == .ok, "\(overlapping.raw)")
            #expect(try overlapping.receipt().stored == 0)
            #expect(try overlapping.receipt().duplicates == 4)
            #expect(try await harness.database.operationCount() == 4)
        }
    }

    /// Protocol.md §8: a gap in an author's `seq` is not an error. The server
    /// stores what comes after it, and the missing operation when it comes.
    @Test func aGapInSequenceNumbersIsStoredAndFilledLater() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let operations = try anna.newCase(title: "Familien Holm")
            let missing = operations[1]
            let afterGap = try await anna.push(operations.filter { $0.id != missing.id }, batch: "without-2", via: client)
            #expect(afterGap.status == .ok, "\(afterGap.raw)")
            #expect(try afterGap.receipt().stored == operations.count - 1)
            let filled = try await anna.push([missing], batch: "the-2", via: client)
            #expect(filled.status == .ok, "\(filled.raw)")
            #expect(try filled.receipt().stored == 1)
            #expect(try await harness.database.operationCount() == operations.count)
        }
    }

    /// Protocol.md §8: an operation a batch carries twice is stored once; two
    /// different operations with one author replica's `seq`, or one id with
    /// two contents, refuse the whole batch.
    @Test func duplicatesInsideOneBatch() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let operations = try anna.newCase(title: "Familien Holm")
            let twice = try await anna.push(operations + [operations[0]], batch: "twice", via: client)
            #expect(twice.status == .ok, "\(twice.raw)")
            #expect(try twice.receipt().stored == operations.count)

            let note = try anna.newNote(in: operations[0].entity, body: "Hjemmebesøg")
            let last = note[note.count - 1]
            let laterID = OperationID(timestamp: HLCTimestamp(rawValue: last.id.timestamp.rawValue + 1), replica: last.replica)
            let sameSeq = SyncCore.Operation(id: laterID, seq: last.seq, author: last.author, caseID: last.caseID, entity: last.entity, change: last.change)
            let taken = try await anna.push(note + [sameSeq], batch: "same-seq", via: client)
            #expect(taken.status == .conflict && taken.problemCode == "sequence-number-taken", "\(taken.raw)")
            let otherContent = SyncCore.Operation(id: last.id, seq: last.seq, author: last.author, caseID: last.caseID, entity: last.entity,
                                                  change: .set(field: Note.Field.place, value: "Skolen", predecessors: []))
            let conflicting = try await anna.push(note + [otherContent], batch: "same-id", via: client)
            #expect(conflicting.status == .conflict && conflicting.problemCode == "conflicting-duplicate", "\(conflicting.raw)")
            #expect(try await harness.database.operationCount() == operations.count, "nothing of a refused batch is stored")
        }
    }

    @Test func pullHandsEachDeviceOnlyItsCasesAndResumesFromItsCursor() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var bo = try await client.login("bo")
            let annasCase = try anna.newCase(title: "Anna's case")
            _ = try await anna.push(annasCase, via: client)
            let bosCase = try bo.newCase(title: "Bo's case")
            _ = try await bo.push(bosCase, via: client)

            var annasOtherLaptop = try await client.login("anna")
            #expect(try await annasOtherLaptop.pull(via: client, limit: 3) == 4)
            #expect(annasOtherLaptop.state.entity(annasCase[0].entity) != nil)
            #expect(annasOtherLaptop.state.entity(bosCase[0].entity) == nil, "partial replication: not Bo's case")

            let note = try anna.newNote(in: annasCase[0].entity, body: "Hjemmebesøg")
            _ = try await anna.push(note, via: client)
            #expect(try await annasOtherLaptop.pull(via: client) == 2, "only what is new since the cursor")
            #expect(try await annasOtherLaptop.pull(via: client) == 0)

            var dorte = try await client.login("dorte")
            #expect(try await dorte.pull(via: client) == 10, "a supervisor sees every case")
        }
    }

    @Test func aFullPageSaysHowManyOperationsAreLeftForAProgressBar() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let first = try anna.newCase(title: "One")
            let second = try anna.newCase(title: "Two")
            _ = try await anna.push(first + second, via: client)
            let laptop = try await client.login("anna")
            var cursor: String?
            var seen: [Int] = []
            var pulled = 0
            while true {
                let page = try await client.call(.get, "/v1/pull?limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""), token: laptop.token)
                let decoded = try page.page()
                pulled += decoded.operations.count
                seen.append(decoded.remaining)
                cursor = decoded.cursor
                if !decoded.hasMore { break }
            }
            // 8 operations in pages of 3: 5 left, 2 left, then the last 2 and nothing left.
            #expect(pulled == 8)
            #expect(seen == [5, 2, 0])
        }
    }

    /// A device's last four cursors stay usable (a lost response is pulled
    /// again with the cursor before it), the cursor a pull came with is never
    /// the one its new cursor replaces, and an older one is refused.
    @Test func theLastFourCursorsOfADeviceStayUsable() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let operations = try anna.newCase(title: "One") + anna.newCase(title: "Two")
            _ = try await anna.push(operations, via: client)
            let laptop = try await client.login("anna")
            func pull(after cursor: String?) async throws -> (ok: Bool, cursor: String?, count: Int) {
                let page = try await client.call(.get, "/v1/pull?limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""), token: laptop.token)
                let decoded = page.status == .ok ? try page.page() : nil
                return (page.status == .ok, decoded?.cursor, decoded?.operations.count ?? 0)
            }
            var cursors: [String] = []
            var cursor: String?
            for _ in 0..<6 {
                let page = try await pull(after: cursor)
                #expect(page.ok && page.count == 1)
                cursor = try #require(page.cursor)
                cursors.append(cursor!)
            }
            // Six cursors issued: the fifth newest is gone, the fourth newest answers.
            let expired = try await client.call(.get, "/v1/pull?limit=1&cursor=\(cursors[1])", token: laptop.token)
            #expect(expired.status == .conflict && expired.problemCode == "unknown-cursor")
            // Pulled again and again with it (its answers lost), it is never the
            // one a new cursor replaces, though it is the oldest kept.
            let presented = cursors[2]
            for _ in 0..<6 {
                let page = try await pull(after: presented)
                #expect(page.ok && page.count == 1, "the presented cursor was replaced")
            }
            // The cursors those pulls issued replaced the others.
            let replaced = try await client.call(.get, "/v1/pull?limit=1&cursor=\(cursors[5])", token: laptop.token)
            #expect(replaced.status == .conflict && replaced.problemCode == "unknown-cursor")
            // Another device of the same user cannot use this device's cursor.
            let other = try await client.login("anna")
            let foreign = try await client.call(.get, "/v1/pull?limit=1&cursor=\(presented)", token: other.token)
            #expect(foreign.status == .conflict && foreign.problemCode == "unknown-cursor")
        }
    }

    @Test func forgedAuthorsDevicesAndOtherUsersCasesAreRefusedWhole() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var bo = try await client.login("bo")
            let annasCase = try anna.newCase(title: "Anna's case")
            _ = try await anna.push(annasCase, via: client)

            // Bo writes into Anna's case.
            let intrusion = bo.write { a, _, r in a.create(EntityType.note, inCase: annasCase[0].entity, using: &r) }
            let refused = try await bo.push([intrusion], via: client)
            #expect(refused.status == .forbidden && refused.problemCode == "not-a-member")

            // Bo pushes an operation in Anna's name.
            let own = try bo.newCase(title: "Bo's case")
            let forged = SyncCore.Operation(id: own[1].id, seq: own[1].seq, author: UserID("anna")!, caseID: own[1].caseID, entity: own[1].entity, change: own[1].change)
            let forgedReply = try await bo.push([own[0], forged], via: client)
            #expect(forgedReply.status == .forbidden && forgedReply.problemCode == "forged-author")

            // Bo replays Anna's operation as if written on Anna's laptop.
            let replay = annasCase[1]
            let replayed = try await bo.push(
                [SyncCore.Operation(id: replay.id, seq: replay.seq, author: bo.user, caseID: replay.caseID, entity: replay.entity, change: replay.change)],
                via: client)
            #expect(replayed.status == .forbidden && replayed.problemCode == "forged-device")

            // A note claiming to move an existing entity into Bo's own case.
            _ = try await bo.push(own, via: client)
            let moved = SyncCore.Operation(
                id: OperationID(timestamp: HLCTimestamp(rawValue: own.last!.id.timestamp.rawValue + 1), replica: bo.author.replica),
                seq: bo.author.nextSeq, author: bo.user, caseID: own[0].entity, entity: annasCase[0].entity,
                change: .set(field: "title", value: "mine", predecessors: []))
            let movedReply = try await bo.push([moved], via: client)
            #expect(movedReply.status == .conflict && movedReply.problemCode == "case-mismatch")

            #expect(try await harness.database.operationCount() == 8, "nothing of a refused batch was stored")
        }
    }

    @Test func membershipIsDataThatOnlySupervisorsChangeAndHandoverMovesTheWholeCase() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var bo = try await client.login("bo")
            var dorte = try await client.login("dorte")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            _ = try await anna.push(caseOps + (try anna.newNote(in: caseID, body: "Første besøg")), via: client)
            _ = try await anna.pull(via: client)

            // A caseworker may not share the case herself.
            let share = try anna.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) }
            let refused = try await anna.push([share], via: client)
            #expect(refused.status == .forbidden && refused.problemCode == "membership-change-not-allowed")

            // The supervisor hands the case over from Anna to Bo.
            _ = try await dorte.pull(via: client)
            let handover = [
                try dorte.write { a, s, _ in try a.add("bo", to: Case.Field.members, on: s.entity(caseID)!) },
                try dorte.write { a, s, _ in try a.remove("anna", from: Case.Field.members, on: s.entity(caseID)!) },
                try dorte.write { a, s, _ in try a.set(Case.Field.primaryCaseworker, to: "bo", on: s.entity(caseID)!) },
            ]
            let accepted = try await dorte.push(handover, via: client)
            #expect(accepted.status == .ok)

            #expect(try await bo.pull(via: client) == 9, "the new caseworker receives the whole history")
            #expect(Case(bo.state.entity(caseID)!)?.primaryCaseworker == UserID("bo"))
            _ = try await anna.pull(via: client)
            #expect(anna.removedCases == [caseID.description], "the previous caseworker is told to purge")
            let again = try await anna.push([try anna.write { a, s, _ in try a.set(Case.Field.title, to: "x", on: s.entity(caseID)!) }], via: client)
            #expect(again.status == .forbidden && again.problemCode == "not-a-member")

            let root = try await client.login("root")
            let audit = try await client.call(.get, "/v1/audit?case=\(caseID)", token: root.token)
            let actions = audit.body.member("events")?.arrayValue.compactMap { $0.member("action")?.stringValue } ?? []
            #expect(actions.contains("membership-changed") && actions.contains("access-removed") && actions.contains("pull"))
        }
    }

    @Test func aRevokedDeviceAndARemovedUserAreToldToPurge() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let anna = try await client.login("anna")
            let bo = try await client.login("bo")
            try await harness.database.revokeDevice(anna.author.replica.description)
            let revoked = try await client.call(.get, "/v1/pull", token: anna.token)
            #expect(revoked.status == .unauthorized && revoked.problemCode == "purge-required")
            #expect(revoked.problem?.purge == true)
            try await harness.database.removeUser("bo")
            let removed = try await client.call(.get, "/v1/pull", token: bo.token)
            #expect(removed.status == .unauthorized && removed.problemCode == "purge-required")
            let login = try await client.call(.post, "/v1/devices", document: DeviceSignIn(user: "bo", password: ServerHarness.password, deviceName: "x").encoded())
            #expect(login.status == .unauthorized)
        }
    }

    @Test func conflictsAreLoggedForSupervisorsAndAResolutionSettlesThem() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            var dorte = try await client.login("dorte")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let caseID = caseOps[0].entity
            _ = try await anna.push(caseOps, via: client)
            _ = try await dorte.pull(via: client)
            let fromAnna = try anna.write { a, s, _ in try a.set(Case.Field.title, to: "Holm", on: s.entity(caseID)!) }
            let fromDorte = try dorte.write { a, s, _ in try a.set(Case.Field.title, to: "Familien Holm-Jensen", on: s.entity(caseID)!) }
            _ = try await anna.push([fromAnna], via: client)
            _ = try await dorte.push([fromDorte], via: client)

            let refused = try await client.call(.get, "/v1/conflicts", token: anna.token)
            #expect(refused.status == .forbidden)
            let open = try await client.call(.get, "/v1/conflicts?case=\(caseID)", token: dorte.token)
            let conflicts = open.body.member("conflicts")?.arrayValue ?? []
            #expect(conflicts.count == 1)
            let values = conflicts.first?.member("values")?.arrayValue ?? []
            #expect(Set(values.compactMap { $0.member("author")?.stringValue }) == ["anna", "dorte"])
            #expect(values.allSatisfy { $0.member("receivedAt")?.integerValue != nil && $0.member("device") != nil })

            _ = try await dorte.pull(via: client)
            let record = try #require(dorte.state.conflicts(inCase: caseID).first)
            let resolution = try dorte.write { a, _, _ in try a.resolve(record, with: "Familien Holm", reason: "Navnet står sådan i CPR") }
            #expect(try await dorte.push([resolution], via: client).status == .ok)
            let after = try await client.call(.get, "/v1/conflicts?status=resolved", token: dorte.token)
            let resolved = after.body.member("conflicts")?.arrayValue ?? []
            #expect(resolved.first?.member("resolution")?.member("reason") == "Navnet står sådan i CPR")
            #expect(try await client.call(.get, "/v1/conflicts", token: dorte.token).body.member("conflicts")?.arrayValue.isEmpty == true)
            _ = try await anna.pull(via: client)
            #expect(anna.state.entity(caseID)?.value(of: Case.Field.title) == "Familien Holm")
        }
    }

    @Test func offlineReadsAreUploadedIntoTheAuditLog() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let read = PushBatch.Read(at: Int64(Date().timeIntervalSince1970 * 1000) - 1_000, caseID: caseOps[0].entity, entity: nil,
                                      what: "case-show")
            let reply = try await client.call(.post, "/v1/push", token: anna.token,
                                              document: Laptop.pushBody(caseOps, batch: "with-reads", reads: [read]))
            #expect(reply.status == .ok)
            let dorte = try await client.login("dorte")
            let audit = try await client.call(.get, "/v1/audit?case=\(caseOps[0].entity)", token: dorte.token)
            let reads = (audit.body.member("events")?.arrayValue ?? []).filter { $0.member("action") == "device-read" }
            #expect(reads.count == 1)
            #expect(reads.first?.member("source") == "device")
        }
    }

    @Test func healthMetricsAndTheAPIDescriptionAreServed() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            #expect(try await client.call(.get, "/health").body.member("status") == "ok")
            var anna = try await client.login("anna")
            _ = try await anna.push(try anna.newCase(title: "x"), via: client)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            let text = String(buffer: metrics.body)
            #expect(text.contains("sync_operations_pushed_total"))
            #expect(text.contains("hb_requests"))
            let openapi = try await client.call(.get, "/openapi.json")
            #expect(openapi.body.member("openapi")?.stringValue?.hasPrefix("3.") == true)
        }
    }
}
