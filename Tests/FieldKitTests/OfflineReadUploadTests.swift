import FieldKit
import Foundation
import SyncCore
import SyncService
import Testing

/// Reads made on the laptop reach the server's access log, also for a case
/// created offline whose creation is pushed in a later batch than the first.
@Suite struct OfflineReadUploadTests {
    @Test func aReadOfACaseCreatedOfflineBehindAFullBatchIsLogged() async throws {
        try await TwoLaptopsTests.withServer { database, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let first = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            // More than one push batch (500) of work before the second case.
            for index in 0..<90 {
                _ = try await anna.replica.createEntity(
                    EntityType.note, inCase: first,
                    fields: [(Note.Field.title, .string("Besøg \(index)")), (Note.Field.body, .string("Tekst")),
                             (Note.Field.kind, "home-visit"), (Note.Field.date, "2026-12-01"), (Note.Field.place, "Hjemme")])
            }
            let second = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            try await anna.replica.recordRead(caseID: second, what: "case-show")
            #expect(try await anna.replica.status().waitingOperations > 500)
            _ = try await anna.sync()
            let reads = try await database.auditEvents(.init(caseID: second.description)).filter { $0.action == "device-read" }
            #expect(reads.count == 1, "the read of a case created offline was refused: it travelled before the case")
            let refused = try await database.auditEvents(.init()).filter { $0.action == "device-reads-refused" }
            #expect(refused.isEmpty)
        }
    }
}
