import Foundation
import GRDB
import SyncPersistence
import Testing

/// Regression: every SQLite pool of the project ran its commits at
/// `synchronous = NORMAL`, not FULL as configured, because GRDB's
/// `DatabasePool` sets NORMAL on its writer after the configuration's own
/// setup. Found by counting `fdatasync` calls of the server under load: 12 in
/// 2 s, all of them the checkpointer's, for about 100 group commits a second.
@Suite struct DurableDatabasePoolTests {
    static func withDirectory<T>(_ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try body(directory.appendingPathComponent("store.sqlite").path)
    }

    static func writerSynchronous(_ writer: any DatabaseWriter) throws -> Int? {
        try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    /// Why `DurableDatabasePool` exists. If this fails, GRDB no longer
    /// overrides the setting: not a regression, and the helper may go.
    @Test func aPlainPoolOverridesTheConfiguredSetting() throws {
        try Self.withDirectory { path in
            let pool = try DatabasePool(path: path, configuration: DurableDatabasePool.configuration)
            #expect(try Self.writerSynchronous(pool) == 1, "GRDB changed: its pool no longer sets NORMAL on the writer")
        }
    }

    /// The server's and the laptop's databases check a pool handed in from
    /// outside with `requireDurable`, so the next plain `DatabasePool` anyone
    /// writes cannot bring the bug back.
    @Test func aPoolThatCommitsAtNormalIsRefused() throws {
        try Self.withDirectory { path in
            let plain = try DatabasePool(path: path, configuration: DurableDatabasePool.configuration)
            #expect(throws: DatabaseError.self) { try DurableDatabasePool.requireDurable(plain) }
            let durable = try DurableDatabasePool.open(path: path + "-2", configuration: DurableDatabasePool.configuration)
            try DurableDatabasePool.requireDurable(durable)
            try DurableDatabasePool.requireDurable(DatabaseQueue())
        }
    }

    @Test func theDurablePoolCommitsAtFull() throws {
        try Self.withDirectory { path in
            let pool = try DurableDatabasePool.open(path: path, configuration: DurableDatabasePool.configuration)
            #expect(try Self.writerSynchronous(pool) == DurableDatabasePool.synchronousFull)
            // Still so after writes, and with the log in WAL mode.
            try pool.write { db in try db.execute(sql: "CREATE TABLE t (x)"); try db.execute(sql: "INSERT INTO t VALUES (1)") }
            #expect(try Self.writerSynchronous(pool) == DurableDatabasePool.synchronousFull)
            #expect(try pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
        }
    }
}
