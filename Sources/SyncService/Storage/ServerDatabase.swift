import Crypto
import Foundation
import GRDB
import Logging
import Synchronization
import SyncCore
import SyncPersistence

/// The server's one SQLite database: the operation log of SyncPersistence plus
/// accounts, devices, case membership, push receipts, pull cursors, the
/// conflict log and the audit log. Every push and pull is one transaction
/// across these tables.
public final class ServerDatabase: Sendable {
    let writer: any DatabaseWriter
    let codec: OperationCodec
    let clock: any WallClock
    /// Open conflicts in the log, kept current by every push (this process is the
    /// only one that writes conflicts), so that the gauge costs no query.
    let openConflicts: Mutex<Int>
    /// Pushes and pulls share transactions when they arrive together.
    let groupCommit: GroupCommit
    /// Device tokens checked in the last second.
    let tokenCache = TokenCache()
    /// Where sign-ins check passwords: off the cooperative pool, bounded.
    let passwordVerifier: PasswordVerifier
    /// The MAC key of device tokens (`DeviceToken`): kept in the database, so
    /// that a restored copy recognises the tokens it gave out.
    let deviceTokenKey: SymmetricKey
    /// The MAC key of receipt proofs (`ReceiptProof`), kept alike.
    let receiptKey: SymmetricKey

    /// Opens the database at `path`. With `backgroundCheckpoints` the commits
    /// do not checkpoint the write-ahead log themselves: a `WALCheckpointer`
    /// must then run beside it, as `sync-server serve` does.
    /// `logger` hears when the disk is full and when it has room again.
    public convenience init(
        path: String, clock: any WallClock = SystemWallClock(), backgroundCheckpoints: Bool = false,
        logger: Logger = Logger(label: "sync-server")
    ) throws {
        var configuration = Self.configuration
        if backgroundCheckpoints {
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        }
        try self.init(writer: DurableDatabasePool.open(path: path, configuration: configuration), clock: clock, logger: logger)
    }

    /// The store's configuration (durable once `DurableDatabasePool` has
    /// opened the pool with it), plus reads through a memory map: a
    /// pull gathers one case's operations from pages scattered across a file
    /// that grows for years, and SQLite's own 2 MB page cache per connection
    /// would read each of them again with `pread` on every pull. The map shares
    /// the operating system's page cache between all connections instead.
    /// Writes still go through the WAL, so durability is unchanged.
    ///
    /// Savepoint journals stay in memory (`temp_store`): every request of a
    /// group commit runs in a savepoint, which keeps the original of each page
    /// it changes in case it must roll back. In a temporary file that was more
    /// writing than the log itself (strace under the 64-device load, 2 s:
    /// 11.4 MB to it against 7.6 MB to the WAL). It is never needed after a
    /// crash, which ends the transaction anyway.
    ///
    /// Other connections to the same file (the administration commands, the
    /// background checkpointer) can hold a lock for a moment: a writer waits
    /// for it, up to `busyTimeout`, instead of failing the request at once.
    static var configuration: Configuration {
        var configuration = DurableDatabasePool.configuration
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = \(Self.memoryMapBytes)")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        return configuration
    }

    static let busyTimeout: TimeInterval = 10

    /// Address space, not memory. SQLite clamps it to the maximum it was built
    /// with (2 GiB on Debian); beyond the map it reads the file as before.
    static let memoryMapBytes: Int64 = 2 << 30

    /// Uses an opened database: in memory (tests), or on disk and opened
    /// with `DurableDatabasePool.open`; any other database on disk is refused.
    public init(
        writer: any DatabaseWriter, clock: any WallClock = SystemWallClock(), passwordVerifier: PasswordVerifier = .shared,
        logger: Logger = Logger(label: "sync-server")
    ) throws {
        try DurableDatabasePool.requireDurable(writer)
        self.writer = writer
        self.clock = clock
        self.passwordVerifier = passwordVerifier
        self.codec = OperationCodec()
        try ServerMigrations.migrator.migrate(writer)
        self.deviceTokenKey = try ServerKeys.key("device-token", in: writer)
        self.receiptKey = try ServerKeys.key("receipt-proof", in: writer)
        self.groupCommit = GroupCommit(writer: writer, logger: logger)
        self.openConflicts = Mutex(try writer.read { db in try Self.countOpenConflicts(in: db) })
    }

    /// The open conflicts now, as the last push left them.
    public var openConflictGauge: Int { openConflicts.withLock { $0 } }

    /// A database that lives in memory only, for tests.
    /// Its password checks queue without a practical bound (`forTests`): the
    /// test suites sign in from hundreds of tests at once in one process,
    /// which the bound meant for one server would refuse.
    public static func inMemory(
        clock: any WallClock = SystemWallClock(), passwordVerifier: PasswordVerifier = .forTests
    ) throws -> ServerDatabase {
        try ServerDatabase(writer: DatabaseQueue(), clock: clock, passwordVerifier: passwordVerifier)
    }

    /// The database's clock, in milliseconds since 1970.
    public var now: Int64 { Int64(clock.milliseconds()) }

    /// Inside the clustering migration (`OperationLog.clusterByCase`): the positions the server has handed
    /// out, in pull cursors and push receipts, move with their operations. A
    /// cursor's position for a case is the last one sent of that case; it
    /// becomes the new position of that operation, so that the next pull
    /// goes on exactly after it.
    static func translateStoredPositions(_ db: Database) throws {
        // One seek each: `new` grows with `old` within a case.
        let lastSent = try db.makeStatement(
            sql: "SELECT new FROM positionRenumbering WHERE caseID = ? AND old <= ? ORDER BY old DESC LIMIT 1")
        let caseStart = try db.makeStatement(sql: "SELECT cluster << 32 FROM logCase WHERE caseID = ?")
        for row in try Row.fetchAll(db, sql: "SELECT id, positions FROM pullCursor") {
            var positions = try decodePositions(row["positions"])
            for (caseID, old) in positions {
                positions[caseID] = try Int64.fetchOne(lastSent, arguments: [caseID, old])
                    ?? Int64.fetchOne(caseStart, arguments: [caseID]) ?? 0
            }
            try db.execute(sql: "UPDATE pullCursor SET positions = ? WHERE id = ?",
                           arguments: [encodePositions(positions), row["id"] as String])
        }
        let moved = try db.makeStatement(sql: "SELECT new FROM positionRenumbering WHERE old = ?")
        for row in try Row.fetchAll(db, sql: "SELECT device, batch, receipt FROM pushReceipt") {
            guard case .object(var receipt) = try OperationCodec.parse(row["receipt"], path: "receipt"),
                  case .array(let operations)? = receipt["operations"] else { continue }
            receipt["operations"] = .array(try operations.map { entry in
                guard case .object(var operation) = entry, case .integer(let old)? = operation["position"],
                      let new = try Int64.fetchOne(moved, arguments: [old]) else { return entry }
                operation["position"] = .integer(new)
                return .object(operation)
            })
            try db.execute(sql: "UPDATE pushReceipt SET receipt = ? WHERE device = ? AND batch = ?",
                           arguments: [OperationCodec.canonicalBytes(.object(receipt)), row["device"] as String, row["batch"] as String])
        }
    }
}
