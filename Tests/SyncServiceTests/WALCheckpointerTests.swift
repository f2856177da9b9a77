import Foundation
import Logging
import SyncService
import Testing

@Suite struct WALCheckpointerTests {
    static let password = "correct horse battery"

    /// A server database with background checkpoints, in a directory of its
    /// own that is removed afterwards.
    static func withDatabase(_ body: (ServerDatabase, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("server.sqlite").path
        try await body(try ServerDatabase(path: path, backgroundCheckpoints: true), path)
    }

    /// With background checkpoints the commits leave the log alone, however
    /// long it grows, and the checkpointer copies all of it back.
    @Test func commitsLeaveTheLogToTheCheckpointer() async throws {
        try await Self.withDatabase { database, path in
            // Each user is a transaction of its own; 1,200 of them would pass
            // SQLite's automatic checkpoint at 1,000 pages.
            for index in 0..<1_200 {
                try await database.addUser("user\(index)", role: .caseworker, password: Self.password, bcryptCost: 4)
            }
            let checkpointer = try WALCheckpointer(database: database, databasePath: path, logger: Logger(label: "test"))
            let result = try #require(try await checkpointer.checkpoint(), "nothing else uses the log: it is not busy")
            #expect(result.walFrameCount > 1_000, "the commits did not checkpoint: every frame is still in the log")
            #expect(result.checkpointedFrameCount == result.walFrameCount)
            // A log copied to the end starts again from its beginning at the next commit.
            try await database.addUser("onemore", role: .caseworker, password: Self.password, bcryptCost: 4)
            let again = try #require(try await checkpointer.checkpoint())
            #expect(again.walFrameCount < 50, "the log restarted instead of growing")
            #expect(again.checkpointedFrameCount == again.walFrameCount)
            #expect(try await database.users().count == 1_201)
        }
    }

    /// Step 2, the checkpoint through the writer, runs once the log is longer
    /// than its threshold, and copies all of it: nothing commits while the
    /// writer checkpoints, so the next commit starts the log again.
    @Test func pastItsThresholdARoundCheckpointsThroughTheWriter() async throws {
        try await Self.withDatabase { database, path in
            let checkpointer = try WALCheckpointer(
                database: database, databasePath: path, restartThroughTheWriterAbove: 100, logger: Logger(label: "test"))
            // The migrations' frames copied, the log starts again at the next commit.
            try #require(try await checkpointer.checkpoint() != nil)
            for index in 0..<3 {
                try await database.addUser("user\(index)", role: .caseworker, password: Self.password, bcryptCost: 4)
            }
            let short = try #require(try await checkpointer.checkpoint())
            #expect(short.walFrameCount <= 100 && !short.throughTheWriter, "\(short)")
            for index in 3..<200 {
                try await database.addUser("user\(index)", role: .caseworker, password: Self.password, bcryptCost: 4)
            }
            let long = try #require(try await checkpointer.checkpoint())
            #expect(long.throughTheWriter, "\(long)")
            #expect(long.walFrameCount > 100 && long.checkpointedFrameCount == long.walFrameCount, "\(long)")
            try await database.addUser("onemore", role: .caseworker, password: Self.password, bcryptCost: 4)
            let after = try #require(try await checkpointer.checkpoint())
            #expect(after.walFrameCount < 50 && !after.throughTheWriter, "the log started again: \(after)")
            #expect(try await database.users().count == 201)
        }
    }

    /// Regression: under the 64-device load, checkpoints and commits met and one
    /// of them failed at once with "database is locked" (a 500 for two devices).
    /// Here a checkpoint that finds the log busy is skipped, not an error (this
    /// test failed on that before); the writer's side, which now waits for the
    /// lock (`busyMode`), is held to no failed request by the load benchmark,
    /// which this test does not reproduce.
    @Test func writesWhileCheckpointingNeverFailWithALockedDatabase() async throws {
        try await Self.withDatabase { database, path in
            let checkpointer = try WALCheckpointer(database: database, databasePath: path, logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for _ in 0..<400 { try await checkpointer.checkpoint() }
                }
                for worker in 0..<4 {
                    group.addTask {
                        for index in 0..<150 {
                            try await database.addUser("user\(worker)x\(index)", role: .caseworker, password: Self.password, bcryptCost: 4)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await database.users().count == 600)
        }
    }
}
