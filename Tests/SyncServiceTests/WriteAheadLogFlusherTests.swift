import Foundation
import GRDB
@testable import SyncService
import Testing

/// The server's writer commits without waiting for the disk, and the flusher
/// puts the log on disk before anyone is answered.
@Suite struct WriteAheadLogFlusherTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flush-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func makeDatabase(at path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in try db.execute(sql: "CREATE TABLE entry (number INTEGER PRIMARY KEY)") }
        return pool
    }

    /// The server's own database: writes commit at NORMAL on the writer, and
    /// each answered write went through a flush of the log.
    @Test func theServerWritesThroughTheFlusher() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("server.sqlite").path
        let database = try ServerDatabase(path: path, backgroundCheckpoints: true)
        let synchronous = try await database.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 1, "NORMAL: the flusher, not the commit, waits for the disk")
        try await database.addUser("anna", role: .caseworker, password: "correct horse battery", bcryptCost: 4)
        #expect(try await database.users().map(\.name) == ["anna"])
    }

    /// Many groups committing while flushes run: everyone is answered once,
    /// without an error, and everything committed is there.
    @Test func everyCommittedGroupIsAnsweredOnce() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("entries.sqlite").path
        let pool = try Self.makeDatabase(at: path)
        let commit = GroupCommit(writer: pool, flusher: WriteAheadLogFlusher(databasePath: path))
        try await withThrowingTaskGroup(of: Int.self) { group in
            for number in 1...500 {
                group.addTask {
                    try await commit.write { db in
                        try db.execute(sql: "INSERT INTO entry (number) VALUES (?)", arguments: [number])
                        return number
                    }
                }
            }
            var answered: [Int] = []
            for try await number in group { answered.append(number) }
            #expect(answered.sorted() == Array(1...500))
        }
        let count = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entry") }
        #expect(count == 500)
    }

    /// A log that cannot be flushed is never acknowledged, and after that
    /// nothing more is written: the kernel may have dropped the pages that
    /// failed, so a later flush that succeeds would prove nothing.
    @Test func aFailedFlushIsNeverAcknowledgedAndStopsLaterWrites() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("entries.sqlite").path
        let pool = try Self.makeDatabase(at: path)
        // A flusher aimed at a log that does not exist: its open fails.
        let missing = directory.appendingPathComponent("missing/entries.sqlite").path
        let commit = GroupCommit(writer: pool, flusher: WriteAheadLogFlusher(databasePath: missing))
        await #expect(throws: FlushFailure.self) {
            try await commit.write { db in try db.execute(sql: "INSERT INTO entry (number) VALUES (1)") }
        }
        let failure = try #require(await Self.failure(of: commit) { db in
            try db.execute(sql: "INSERT INTO entry (number) VALUES (2)")
        })
        #expect(failure.operation == "open")
        #expect(failure.description.contains("writes refused until restart"))
        let stored = try await pool.read { db in try Int.fetchAll(db, sql: "SELECT number FROM entry") }
        #expect(stored == [1], "the second write never ran")
    }

    static func failure(of commit: GroupCommit, _ work: @escaping @Sendable (Database) throws -> Void) async -> FlushFailure? {
        do {
            try await commit.write(work)
            return nil
        } catch {
            return error as? FlushFailure
        }
    }
}
