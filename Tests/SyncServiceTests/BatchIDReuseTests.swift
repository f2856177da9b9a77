import Foundation
import GRDB
import HummingbirdTesting
import SyncCore
@testable import SyncService
import Testing

/// Protocol.md §10.3: a batch id names one batch of one device.
@Suite struct BatchIDReuseTests {
    /// A batch id names one batch: sent again with other operations it is
    /// refused (it used to be answered with the old receipt, and the new
    /// operations were silently not stored), and a true retry still gets the
    /// stored receipt. Receipts stored before their operations' hash was kept
    /// are compared by the ids they list.
    @Test func aBatchIDSentAgainWithOtherOperationsIsRefused() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let created = try anna.newCase(title: "Familien Holm")
            let first = try await anna.push(created, batch: "batch-1", via: client)
            #expect(first.status == .ok)
            let note = try anna.newNote(in: created[0].entity, body: "Hjemmebesøg")
            for receiptsOfBefore in [false, true] {
                if receiptsOfBefore {
                    try await harness.database.writer.write { db in try db.execute(sql: "UPDATE pushReceipt SET batchHash = NULL") }
                }
                let reused = try await anna.push(note, batch: "batch-1", via: client)
                #expect(reused.status == .conflict && reused.problemCode == "batch-id-reused", "\(reused.raw)")
                #expect(reused.problem?.path == "batch")
                #expect(try await harness.database.operationCount() == created.count)
                let retry = try await anna.push(created, batch: "batch-1", via: client)
                #expect(retry.status == .ok && retry.raw == first.raw)
            }
            // The same operations in another order are another batch too.
            let reordered = try await anna.push(Array(created.reversed()), batch: "batch-1", via: client)
            #expect(reordered.problemCode == "batch-id-reused", "\(reordered.raw)")
            #expect(try await anna.push(note, batch: "batch-2", via: client).status == .ok)
            #expect(try await harness.database.operationCount() == created.count + note.count)
        }
    }

    /// A batch of reads only, sent again with other reads, is another batch:
    /// answered with the old receipt, the laptop would delete reads that were
    /// never stored in the access log.
    @Test func aReadsOnlyBatchIDSentAgainWithOtherReadsIsRefused() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            func reads(_ at: Int64) -> Data {
                Laptop.pushBody([], batch: "reads-1", reads: [OfflineReadTests.read(caseID, at: at)])
            }
            let now = OfflineReadTests.now
            let first = try await client.call(.post, "/v1/push", token: anna.token, document: reads(now - 2_000))
            #expect(first.status == .ok, "\(first.raw)")
            let retry = try await client.call(.post, "/v1/push", token: anna.token, document: reads(now - 2_000))
            #expect(retry.status == .ok && retry.raw == first.raw)
            let other = try await client.call(.post, "/v1/push", token: anna.token, document: reads(now - 1_000))
            #expect(other.status == .conflict && other.problemCode == "batch-id-reused", "\(other.raw)")
        }
    }
}
