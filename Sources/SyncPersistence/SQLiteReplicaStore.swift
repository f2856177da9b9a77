import Foundation
import GRDB
import SyncCore

/// A replica store in one SQLite database (WAL mode), shared by the server and
/// the field client.
///
/// The operation log is the only source of truth: each operation is one row
/// holding its canonical JSON encoding, kept in order of case (the table's
/// key, `OperationLog.registerClusteringMigration`) and indexed by id, by
/// author replica and sequence number, and by entity. Entity state is rebuilt on read with
/// SyncCore's own merge code (`EntityState`), so the store cannot disagree with
/// the in-memory reference about what operations mean.
public final class SQLiteReplicaStore: ReplicaStore {
    private let writer: any DatabaseWriter
    private let codec: OperationCodec
    private let clock: any WallClock

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public convenience init(
        path: String, codec: OperationCodec = OperationCodec(), clock: any WallClock = SystemWallClock()
    ) throws {
        try self.init(writer: DurableDatabasePool.open(path: path, configuration: Self.configuration), codec: codec, clock: clock)
    }

    /// Uses an already opened database: in memory (a `DatabaseQueue()` in
    /// tests), or on disk and opened with `DurableDatabasePool.open`; any
    /// other database on disk is refused.
    public init(
        writer: any DatabaseWriter, codec: OperationCodec = OperationCodec(), clock: any WallClock = SystemWallClock()
    ) throws {
        try DurableDatabasePool.requireDurable(writer)
        self.writer = writer
        self.codec = codec
        self.clock = clock
        var migrator = DatabaseMigrator()
        OperationLog.registerMigrations(in: &migrator)
        OperationLog.registerClusteringMigration(in: &migrator)
        OperationLog.registerEntityTypeMigration(in: &migrator)
        try migrator.migrate(writer)
    }

    /// `synchronous = FULL`: a committed transaction survives a crash of the
    /// process (kill -9) and of the machine. A `DatabasePool` resets it on its
    /// writer; open pools with `DurableDatabasePool`, which sets it again.
    public static var configuration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Apple systems: fsync alone leaves the commit in the drive's cache.
            try db.execute(sql: "PRAGMA fullfsync = ON")
        }
        return configuration
    }

    @discardableResult
    public func apply(_ operations: [SyncCore.Operation]) async throws -> ReplicaState.ApplyOutcome {
        let now = clock.milliseconds()
        let entries = try await writer.write { [codec] db in
            try OperationLog.apply(operations, receivedAt: now, codec: codec, in: db)
        }
        var outcome = ReplicaState.ApplyOutcome()
        var seen: Set<OperationID> = []
        for entry in entries {
            if entry.isNew && seen.insert(entry.id).inserted { outcome.applied.append(entry.id) } else { outcome.duplicates += 1 }
        }
        return outcome
    }

    public func knowledge() async throws -> ReplicaKnowledge {
        try await writer.read { db in try OperationLog.knowledge(in: db) }
    }

    public func operations(in ranges: [SequenceRange]) async throws -> [SyncCore.Operation] {
        let bodies = try await writer.read { db in try ranges.flatMap { try OperationLog.bodies(in: $0, in: db) } }
        return try bodies.map { try OperationLog.decode($0, codec: codec) }
    }

    public func entity(_ id: EntityID) async throws -> EntityState? {
        let bodies = try await writer.read { db in try OperationLog.bodies(ofEntity: id, in: db) }
        return try OperationLog.fold(bodies, codec: codec).first
    }

    public func entities(inCase caseID: EntityID) async throws -> [EntityState] {
        let bodies = try await writer.read { db in try OperationLog.bodies(ofCase: caseID, in: db) }
        return try OperationLog.fold(bodies, codec: codec).filter { $0.caseID == caseID }
    }

    public func conflicts(inCase caseID: EntityID?) async throws -> [ConflictRecord] {
        let entities: [EntityState]
        if let caseID {
            entities = try await self.entities(inCase: caseID)
        } else {
            entities = try OperationLog.fold(try await writer.read { db in try OperationLog.allBodies(in: db) }, codec: codec)
        }
        return entities.flatMap { $0.conflicts() }.sorted { $0.id < $1.id }
    }

    public func operationCount() async throws -> Int {
        try await writer.read { db in try OperationLog.count(in: db) }
    }
}
