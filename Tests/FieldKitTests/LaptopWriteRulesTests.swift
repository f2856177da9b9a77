import FieldKit
import Foundation
import GRDB
import SyncCore
import SyncPersistence
@testable import SyncService
import Testing

/// The laptop applies the same write rules (Protocol.md §5.1) as the server:
/// to what it writes, so that its outbox never holds what the server would
/// refuse, and to what it pulls.
@Suite struct LaptopWriteRulesTests {
    @Test func aPulledPageThatBreaksTheRulesIsRefusedWhole() async throws {
        try await TwoLaptopsTests.withServer { database, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg.")
            _ = try await anna.sync()
            // A finalization of the case, stored by a server of an earlier
            // version that did not refuse it.
            let caseState = try #require(try await anna.replica.entity(caseID))
            var author = OperationAuthor(replica: anna.replica.replica, user: UserID("anna")!, wallClock: SystemWallClock(), nextSeq: 1_000)
            author.observe(caseState.orderedOperations)
            let freeze = try author.finalize(caseState)
            try await database.writer.write { db in
                _ = try OperationLog.apply([freeze], receivedAt: 1, codec: OperationCodec(), in: db)
            }
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            await #expect(throws: FieldError.self) { _ = try await dorte.sync() }
            do { _ = try await dorte.sync() } catch let error as FieldError {
                guard case .refusedOperation(let detail) = error else { Issue.record("\(error)"); return }
                #expect(detail.contains(freeze.id.description) && detail.contains("kind-not-allowed"), "\(detail)")
            }
            #expect(try await dorte.replica.status().operations == 0, "nothing of the refused page is stored")
        }
    }

    /// A value an earlier version let in (text where a boolean belongs: the
    /// old `conflicts resolve --value-file` wrote one) does not stop a new
    /// laptop's first sync: the value's form is the server's to check at push.
    @Test func aPulledValueOfAnotherFormFromAnEarlierVersionIsStored() async throws {
        try await TwoLaptopsTests.withServer { database, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            let note = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg.")
            _ = try await anna.sync()
            let noteState = try #require(try await anna.replica.entity(note))
            var author = OperationAuthor(replica: anna.replica.replica, user: UserID("anna")!, wallClock: SystemWallClock(), nextSeq: 1_000)
            author.observe(noteState.orderedOperations)
            let textOnABoolean = try author.set(Note.Field.childPresent, to: "ja", on: noteState)
            try await database.writer.write { db in
                _ = try OperationLog.apply([textOnABoolean], receivedAt: 1, codec: OperationCodec(), in: db)
            }
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            _ = try await dorte.sync()
            #expect(try await dorte.replica.entity(note)?.value(of: Note.Field.childPresent) == "ja")
        }
    }

    @Test func theLaptopNeverQueuesWhatTheServerWouldRefuse() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            let waiting = try await anna.replica.status().waitingOperations
            await #expect(throws: FieldError.self) {
                try await anna.replica.write { author, lookup in [author.delete(try lookup(caseID)!)] }
            }
            await #expect(throws: FieldError.self) {
                try await anna.replica.write { author, lookup in [try author.set("secretField", to: "x", on: try lookup(caseID)!)] }
            }
            #expect(try await anna.replica.status().waitingOperations == waiting)
            _ = try await anna.sync()
            #expect(try await anna.replica.status().waitingOperations == 0)
        }
    }
}
