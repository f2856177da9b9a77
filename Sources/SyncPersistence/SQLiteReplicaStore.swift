import Foundation
import GRDB
import SyncCore

/// A replica store in one SQLite database (WAL mode), shared by the server and
/// the field client.
///
/// The operation log is the only source of truth: each operation is one row
/// holding its canonical JSON encoding, indexed by id, by author replica and
/// sequence number, and by entity. Entity state is rebuilt on read with
/// SyncCore's own merge code (`EntityState`), so the store cannot disagree with
/// the in-memory reference about what operations mean.
public final class SQLiteReplicaStore: ReplicaStore {
    private let writer: any DatabaseWriter
    private let codec: OperationCodec

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public convenience init(path: String, codec: OperationCodec = OperationCodec()) throws {
        var configuration = Configuration()
        configuration.label = "replica-store"
        // NORMAL is durable in WAL mode against process crashes (kill -9); FULL
        // adds durability against power loss at each commit.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        try self.init(writer: DatabasePool(path: path, configuration: configuration), codec: codec)
    }

    /// Uses an already opened database (for example an in-memory `DatabaseQueue` in tests).
    public init(writer: any DatabaseWriter, codec: OperationCodec = OperationCodec()) throws {
        self.writer = writer
        self.codec = codec
        try Self.migrator.migrate(writer)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 operation log") { db in
            try db.create(table: OperationRecord.databaseTableName) { table in
                table.autoIncrementedPrimaryKey("position")
                table.column("id", .text).notNull().unique()
                table.column("replica", .text).notNull()
                table.column("seq", .integer).notNull()
                table.column("caseID", .text).notNull()
                table.column("entity", .text).notNull().indexed()
                table.column("body", .blob).notNull()
                table.uniqueKey(["replica", "seq"])
            }
            try db.create(table: EntityRecord.databaseTableName, options: .withoutRowID) { table in
                table.primaryKey("id", .text)
                table.column("caseID", .text).notNull().indexed()
            }
            try db.create(table: ReplicaProgressRecord.databaseTableName, options: .withoutRowID) { table in
                table.primaryKey("replica", .text)
                table.column("contiguous", .integer).notNull()
            }
        }
        return migrator
    }

    // MARK: Writing

    @discardableResult
    public func apply(_ operations: [SyncCore.Operation]) async throws -> ReplicaState.ApplyOutcome {
        let rows = operations.map { OperationRecord($0, body: codec.encode($0)) }
        return try await writer.write { db in try Self.apply(rows, in: db) }
    }

    private static func apply(_ rows: [OperationRecord], in db: Database) throws -> ReplicaState.ApplyOutcome {
        var outcome = ReplicaState.ApplyOutcome()
        var touchedReplicas: Set<String> = []
        let insert = try db.cachedStatement(sql: """
            INSERT INTO operation (id, replica, seq, caseID, entity, body) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """)
        let insertEntity = try db.cachedStatement(sql: "INSERT INTO entity (id, caseID) VALUES (?, ?) ON CONFLICT DO NOTHING")
        for (index, row) in rows.enumerated() {
            try insert.execute(arguments: [row.id, row.replica, row.seq, row.caseID, row.entity, row.body])
            if db.changesCount == 1 {
                outcome.applied.append(row.operationID)
                touchedReplicas.insert(row.replica)
                try insertEntity.execute(arguments: [row.entity, row.caseID])
                continue
            }
            // Not inserted: either this very operation is already stored, or the
            // input clashes with a stored one. The latter aborts the transaction.
            let existing = try Row.fetchOne(
                db, sql: "SELECT id, body FROM operation WHERE id = ? OR (replica = ? AND seq = ?) ORDER BY id = ? DESC",
                arguments: [row.id, row.replica, row.seq, row.id])
            let existingID: String = existing?["id"] ?? ""
            if existingID == row.id {
                guard existing?["body"] == row.body else {
                    throw OperationError(path: "operations[\(index)]", reason: .conflictingDuplicate)
                }
                outcome.duplicates += 1
            } else {
                throw OperationError(
                    path: "operations[\(index)].seq",
                    reason: .sequenceNumberTaken(OperationID(existingID) ?? row.operationID))
            }
        }
        for replica in touchedReplicas {
            try advanceProgress(of: replica, in: db)
        }
        return outcome
    }

    /// Moves the replica's contiguous mark over every sequence number now held
    /// without a gap.
    private static func advanceProgress(of replica: String, in db: Database) throws {
        var contiguous = try Int64.fetchOne(
            db, sql: "SELECT contiguous FROM replicaProgress WHERE replica = ?", arguments: [replica]) ?? 0
        let above = try Int64.fetchCursor(
            db, sql: "SELECT seq FROM operation WHERE replica = ? AND seq > ? ORDER BY seq", arguments: [replica, contiguous])
        while let seq = try above.next(), seq == contiguous + 1 { contiguous = seq }
        try db.execute(
            sql: """
                INSERT INTO replicaProgress (replica, contiguous) VALUES (?, ?)
                ON CONFLICT (replica) DO UPDATE SET contiguous = excluded.contiguous
                """,
            arguments: [replica, contiguous])
    }

    // MARK: Reading

    public func knowledge() async throws -> ReplicaKnowledge {
        try await writer.read { db in
            var knowledge = ReplicaKnowledge()
            for progress in try ReplicaProgressRecord.fetchAll(db) {
                guard let replica = ReplicaID(progress.replica) else { continue }
                knowledge.contiguous[replica] = UInt64(progress.contiguous)
                let early = try Int64.fetchAll(
                    db, sql: "SELECT seq FROM operation WHERE replica = ? AND seq > ?",
                    arguments: [progress.replica, progress.contiguous])
                if !early.isEmpty { knowledge.extra[replica] = Set(early.map(UInt64.init)) }
            }
            return knowledge
        }
    }

    public func operations(in ranges: [SequenceRange]) async throws -> [SyncCore.Operation] {
        let bodies = try await writer.read { db in
            try ranges.flatMap { range in
                try Data.fetchAll(
                    db, sql: "SELECT body FROM operation WHERE replica = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                    arguments: [range.replica.description, Int64(range.seqs.lowerBound), Int64(range.seqs.upperBound)])
            }
        }
        return try bodies.map(decode)
    }

    public func entity(_ id: EntityID) async throws -> EntityState? {
        let bodies = try await writer.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM operation WHERE entity = ?", arguments: [id.description])
        }
        guard !bodies.isEmpty else { return nil }
        var state = EntityState(id: id)
        for body in bodies { state.apply(try decode(body)) }
        return state
    }

    public func entities(inCase caseID: EntityID) async throws -> [EntityState] {
        let bodies = try await writer.read { db in
            try Data.fetchAll(db, sql: """
                SELECT operation.body FROM entity JOIN operation ON operation.entity = entity.id
                WHERE entity.caseID = ?
                """, arguments: [caseID.description])
        }
        return try fold(bodies).filter { $0.caseID == caseID }
    }

    public func conflicts(inCase caseID: EntityID?) async throws -> [ConflictRecord] {
        let entities: [EntityState]
        if let caseID {
            entities = try await self.entities(inCase: caseID)
        } else {
            entities = try fold(try await writer.read { db in try Data.fetchAll(db, sql: "SELECT body FROM operation") })
        }
        return entities.flatMap { $0.conflicts() }.sorted { $0.id < $1.id }
    }

    public func operationCount() async throws -> Int {
        try await writer.read { db in try OperationRecord.fetchCount(db) }
    }

    private func fold(_ bodies: [Data]) throws -> [EntityState] {
        var states: [EntityID: EntityState] = [:]
        for body in bodies {
            let operation = try decode(body)
            states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
        }
        return states.values.sorted { $0.id < $1.id }
    }

    private func decode(_ body: Data) throws -> Operation {
        do {
            return try codec.decode(body)
        } catch {
            throw StoreCorruption(detail: "a stored operation no longer decodes: \(error)")
        }
    }
}

/// The database holds something this version cannot read back. Never caused by
/// client input, which is checked before it is stored.
public struct StoreCorruption: Error, CustomStringConvertible {
    public let detail: String
    public var description: String { detail }
}
