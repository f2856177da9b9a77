import Foundation
import GRDB
import SyncPersistence
@testable import SyncService
import Testing

/// Regression (see DurableDatabasePoolTests): the server's writer committed at
/// `synchronous = NORMAL`, so an acknowledged push survived `kill -9` but not a
/// power cut.
@Suite struct ServerDatabaseDurabilityTests {
    @Test func theServersWriterCommitsAtFull() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for backgroundCheckpoints in [false, true] {
            let database = try ServerDatabase(
                path: directory.appendingPathComponent("server-\(backgroundCheckpoints).sqlite").path,
                backgroundCheckpoints: backgroundCheckpoints)
            let level = try await database.writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(level == DurableDatabasePool.synchronousFull, "FULL")
        }
    }
}
