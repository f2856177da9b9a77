import Foundation
import GRDB
import SyncCore

/// The operation log tables and the statements on them, usable inside any
/// GRDB transaction: the replica store uses them on their own, the server
/// composes them with its own tables in one transaction per push.
public enum OperationLog {
    /// Registers the log's migrations. Other tables may live in the same
    /// database under their own migrations.
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v1 operation log") { db in
            try db.create(table: "operation") { table in
                // Arrival order on this replica: the server's sequence number.
                table.autoIncrementedPrimaryKey("position")
                table.column("id", .text).notNull().unique()
                table.column("replica", .text).notNull()
                table.column("seq", .integer).notNull()
                table.column("caseID", .text).notNull()
                table.column("entity", .text).notNull().indexed()
                table.column("receivedAt", .integer).notNull()
                // The canonical JSON encoding (Protocol.md §4), forwarded as is.
                table.column("body", .blob).notNull()
                table.uniqueKey(["replica", "seq"])
            }
            try db.create(index: "operation_on_case_position", on: "operation", columns: ["caseID", "position"])
            try db.create(table: "entity", options: .withoutRowID) { table in
                table.primaryKey("id", .text)
                table.column("caseID", .text).notNull().indexed()
            }
            try db.create(table: "replicaProgress", options: .withoutRowID) { table in
                table.primaryKey("replica", .text)
                table.column("contiguous", .integer).notNull()
            }
        }
    }

    /// One operation of an applied batch: where it sits in the log, and whether
    /// this batch stored it or it was already held.
    public struct Entry: Hashable, Sendable {
        public let id: OperationID
        public let position: Int64
        public let isNew: Bool
    }

    /// Stores a batch; throws `OperationError` on the first operation that
    /// clashes with a held one. The caller's transaction makes it atomic.
    public static func apply(
        _ operations: [SyncCore.Operation], receivedAt: UInt64, codec: OperationCodec,
        bodies: some OperationBodyCodec = PlaintextBodies(), in db: Database
    ) throws -> [Entry] {
        var entries: [Entry] = []
        entries.reserveCapacity(operations.count)
        var touchedReplicas: Set<String> = []
        let insert = try db.cachedStatement(sql: """
            INSERT INTO operation (id, replica, seq, caseID, entity, receivedAt, body) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO NOTHING
            """)
        let insertEntity = try db.cachedStatement(sql: "INSERT INTO entity (id, caseID) VALUES (?, ?) ON CONFLICT DO NOTHING")
        let received = Int64(receivedAt)
        for (index, operation) in operations.enumerated() {
            let id = operation.id.description
            let replica = operation.replica.description
            let plaintext = codec.encode(operation)
            let body = try bodies.seal(plaintext, for: operation.id)
            let entity = operation.entity.description
            let caseID = operation.caseID.description
            try insert.execute(arguments: [id, replica, Int64(operation.seq), caseID, entity, received, body])
            if db.changesCount == 1 {
                entries.append(Entry(id: operation.id, position: db.lastInsertedRowID, isNew: true))
                touchedReplicas.insert(replica)
                try insertEntity.execute(arguments: [entity, caseID])
                continue
            }
            // Not inserted: this very operation is already held, or the input
            // clashes with a held one. The latter aborts the caller's transaction.
            let existing = try Row.fetchOne(
                db, sql: "SELECT id, position, body FROM operation WHERE id = ? OR (replica = ? AND seq = ?) ORDER BY id = ? DESC",
                arguments: [id, replica, Int64(operation.seq), id])
            let existingID: String = existing?["id"] ?? ""
            guard existingID == id else {
                throw OperationError(
                    path: "operations[\(index)].seq",
                    reason: .sequenceNumberTaken(OperationID(existingID) ?? operation.id))
            }
            guard let stored: Data = existing?["body"], try bodies.open(stored) == plaintext else {
                throw OperationError(path: "operations[\(index)]", reason: .conflictingDuplicate)
            }
            entries.append(Entry(id: operation.id, position: existing?["position"] ?? 0, isNew: false))
        }
        for replica in touchedReplicas { try advanceProgress(of: replica, in: db) }
        return entries
    }

    /// Moves the replica's contiguous mark over every sequence number now held
    /// without a gap.
    private static func advanceProgress(of replica: String, in db: Database) throws {
        var contiguous = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT contiguous FROM replicaProgress WHERE replica = ?"), arguments: [replica]) ?? 0
        let above = try Int64.fetchCursor(
            db.cachedStatement(sql: "SELECT seq FROM operation WHERE replica = ? AND seq > ? ORDER BY seq"),
            arguments: [replica, contiguous])
        while let seq = try above.next(), seq == contiguous + 1 { contiguous = seq }
        try db.cachedStatement(sql: """
            INSERT INTO replicaProgress (replica, contiguous) VALUES (?, ?)
            ON CONFLICT (replica) DO UPDATE SET contiguous = excluded.contiguous
            """).execute(arguments: [replica, contiguous])
    }

    public static func knowledge(in db: Database) throws -> ReplicaKnowledge {
        var knowledge = ReplicaKnowledge()
        for row in try Row.fetchAll(db, sql: "SELECT replica, contiguous FROM replicaProgress") {
            guard let replica = ReplicaID(row["replica"] as String) else { continue }
            let contiguous: Int64 = row["contiguous"]
            knowledge.contiguous[replica] = UInt64(contiguous)
            let early = try Int64.fetchAll(
                db, sql: "SELECT seq FROM operation WHERE replica = ? AND seq > ?",
                arguments: [replica.description, contiguous])
            if !early.isEmpty { knowledge.extra[replica] = Set(early.map(UInt64.init)) }
        }
        return knowledge
    }

    public static func bodies(in range: SequenceRange, in db: Database) throws -> [Data] {
        try Data.fetchAll(
            db, sql: "SELECT body FROM operation WHERE replica = ? AND seq BETWEEN ? AND ? ORDER BY seq",
            arguments: [range.replica.description, Int64(range.seqs.lowerBound), Int64(range.seqs.upperBound)])
    }

    public static func bodies(ofEntity entity: EntityID, in db: Database) throws -> [Data] {
        try Data.fetchAll(db, sql: "SELECT body FROM operation WHERE entity = ?", arguments: [entity.description])
    }

    public static func bodies(ofCase caseID: EntityID, in db: Database) throws -> [Data] {
        // Through the entity table, so that an entity's operations are read whole
        // even if one of them named another case.
        try Data.fetchAll(db, sql: """
            SELECT operation.body FROM entity JOIN operation ON operation.entity = entity.id WHERE entity.caseID = ?
            """, arguments: [caseID.description])
    }

    public static func allBodies(in db: Database) throws -> [Data] {
        try Data.fetchAll(db, sql: "SELECT body FROM operation")
    }

    /// Which of the given operation ids are already held.
    public static func heldIDs(among ids: [OperationID], in db: Database) throws -> Set<OperationID> {
        var held: Set<OperationID> = []
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM operation WHERE id = ?")
        for id in ids where try Bool.fetchOne(statement, arguments: [id.description]) == true {
            held.insert(id)
        }
        return held
    }

    /// The case an entity belongs to, as first recorded.
    public static func caseOf(entity: EntityID, in db: Database) throws -> EntityID? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT caseID FROM entity WHERE id = ?"), arguments: [entity.description])
            .flatMap(EntityID.init)
    }

    /// Whether any operation of the case is held.
    public static func caseExists(_ caseID: EntityID, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM entity WHERE caseID = ?)"), arguments: [caseID.description]) ?? false
    }

    /// A page of one case's operations after a position, in log order: what a pull sends.
    public static func page(
        ofCase caseID: EntityID, after position: Int64, limit: Int, in db: Database
    ) throws -> [(position: Int64, receivedAt: Int64, body: Data)] {
        let statement = try db.cachedStatement(
            sql: "SELECT position, receivedAt, body FROM operation WHERE caseID = ? AND position > ? ORDER BY position LIMIT ?")
        var page: [(position: Int64, receivedAt: Int64, body: Data)] = []
        let rows = try Row.fetchCursor(statement, arguments: [caseID.description, position, limit])
        while let row = try rows.next() { page.append((row[0], row[1], row[2])) }
        return page
    }

    /// How many operations of one case lie after a position (read from the
    /// (case, position) index alone).
    public static func count(ofCase caseID: EntityID, after position: Int64, in db: Database) throws -> Int {
        let statement = try db.cachedStatement(sql: "SELECT COUNT(*) FROM operation WHERE caseID = ? AND position > ?")
        return try Int.fetchOne(statement, arguments: [caseID.description, position]) ?? 0
    }

    public static func count(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operation") ?? 0
    }

    /// Every case that has operations.
    public static func caseIDs(in db: Database) throws -> [EntityID] {
        try String.fetchAll(db, sql: "SELECT DISTINCT caseID FROM entity ORDER BY caseID").compactMap(EntityID.init)
    }

    /// Rebuilds entity states from stored bodies with SyncCore's merge.
    public static func fold(
        _ stored: [Data], codec: OperationCodec, bodies: some OperationBodyCodec = PlaintextBodies()
    ) throws -> [EntityState] {
        var states: [EntityID: EntityState] = [:]
        for body in stored {
            let operation = try decode(try bodies.open(body), codec: codec)
            states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
        }
        return states.values.sorted { $0.id < $1.id }
    }

    public static func decode(_ body: Data, codec: OperationCodec) throws -> SyncCore.Operation {
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

    public init(detail: String) {
        self.detail = detail
    }

    public var description: String { detail }
}
