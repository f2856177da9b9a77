@testable import FieldKit
import Foundation
import GRDB
import SyncPersistence
import Testing

/// Regression (see DurableDatabasePoolTests): the laptop's replica committed at
/// `synchronous = NORMAL`, so a note saved just before the battery ran out
/// could be gone after the restart.
@Suite struct LocalReplicaDurabilityTests {
    @Test func theLaptopsWriterCommitsAtFull() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let level = try await anna.replica.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(level == DurableDatabasePool.synchronousFull, "FULL")
        }
    }
}
