import Foundation
import GRDB
import SyncCore

/// The operation log tables and the statements on them, usable inside any
/// GRDB transaction: the laptop's replica and the server's database both
/// hold them beside tables of their own, and compose them in one transaction.
public enum OperationLog {
    /// The names the log's migrations are recorded under in every database
    /// that holds the log. A released name never changes.
    public enum MigrationName {
        public static let createTables = "v1 operation log"
        public static let clusterByCase = "v2 operation log clustered by case"
        public static let recordEntityTypes = "v3 entity types"
    }

    /// The log's tables: migration "v1 operation log" (the laptop's and the
    /// server's lists of migrations run it first). Other tables may live in
    /// the same database under their own migrations.
    public static func createTables(_ db: Database) throws {
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

    /// Clusters the log by case: migration "v2 operation log clustered by
    /// case", after the caller's own migrations (which may hold positions:
    /// `renumbered` runs inside it, while the temporary table
    /// `positionRenumbering` (`old`, `new`, `caseID`) maps every position to
    /// its new value).
    ///
    /// Positions become `(case cluster << 32) | n`: a case's operations sit
    /// side by side in the table, so a pull reads pages that hold nothing
    /// else, and the (case, position) index goes, one index less per stored
    /// operation. A position still grows in log order within its case, which
    /// is all a pull cursor needs; across cases it no longer does. A program
    /// of an earlier version would insert rows by the old rule, so it must not
    /// write to a database once this has run: stop the old server before
    /// upgrading.
    public static func clusterByCase(_ db: Database, renumbered: (Database) throws -> Void = { _ in }) throws {
        try db.create(table: "logCase", options: .withoutRowID) { table in
            table.primaryKey("caseID", .text)
            table.column("cluster", .integer).notNull().unique()
            table.column("last", .integer).notNull()
        }
        // Window functions and a table rebuilt under the old name: no
        // query-interface form says this.
        try db.execute(sql: """
            INSERT INTO logCase (caseID, cluster, last)
            SELECT caseID, ROW_NUMBER() OVER (ORDER BY MIN(position)), COUNT(*) FROM operation GROUP BY caseID;
            CREATE TEMP TABLE positionRenumbering (old INTEGER PRIMARY KEY, new INTEGER NOT NULL, caseID TEXT NOT NULL);
            INSERT INTO positionRenumbering (old, new, caseID)
            SELECT operation.position,
                   (logCase.cluster << 32) | ROW_NUMBER() OVER (PARTITION BY operation.caseID ORDER BY operation.position),
                   operation.caseID
            FROM operation JOIN logCase ON logCase.caseID = operation.caseID;
            CREATE INDEX temp.positionRenumbering_on_case ON positionRenumbering (caseID, old);
            CREATE TABLE operationClustered (
                position INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                replica TEXT NOT NULL,
                seq INTEGER NOT NULL,
                caseID TEXT NOT NULL,
                entity TEXT NOT NULL,
                receivedAt INTEGER NOT NULL,
                body BLOB NOT NULL,
                UNIQUE (replica, seq));
            INSERT INTO operationClustered (position, id, replica, seq, caseID, entity, receivedAt, body)
            SELECT positionRenumbering.new, id, replica, seq, operation.caseID, entity, receivedAt, body
            FROM operation JOIN positionRenumbering ON positionRenumbering.old = operation.position
            ORDER BY positionRenumbering.new;
            DROP TABLE operation;
            ALTER TABLE operationClustered RENAME TO operation;
            CREATE INDEX operation_on_entity ON operation (entity);
            """)
        try renumbered(db)
        try db.execute(sql: "DROP TABLE temp.positionRenumbering")
    }

    /// Records each entity's type beside its case: migration "v3 entity
    /// types", after the clustering. The write rules (`SyncCore.WriteRules`)
    /// need the type of every entity an operation names. Entities stored
    /// before it get their type on first lookup (`entity(_:bodies:codec:in:)`),
    /// since a laptop's bodies are sealed and no SQL can read them.
    public static func recordEntityTypes(_ db: Database) throws {
        try db.alter(table: "entity") { table in table.add(column: "entityType", .text) }
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
            INSERT INTO operation (position, id, replica, seq, caseID, entity, receivedAt, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING ON CONFLICT (replica, seq) DO NOTHING
            """)
        // A clash of positions (a row in the case's range that `last` does not
        // count) is not one of those targets: it fails the batch loudly
        // instead of passing for a duplicate.
        let insertEntity = try db.cachedStatement(sql: "INSERT INTO entity (id, caseID) VALUES (?, ?) ON CONFLICT DO NOTHING")
        // Only a `create` names the type; the first one stored keeps it.
        let insertCreatedEntity = try db.cachedStatement(sql: """
            INSERT INTO entity (id, caseID, entityType) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET entityType = excluded.entityType WHERE entity.entityType IS NULL
            """)
        let received = Int64(receivedAt)
        var clusters: [String: (cluster: Int64, last: Int64)] = [:]
        func nextPosition(_ caseID: String) throws -> Int64 {
            var slot: (cluster: Int64, last: Int64)
            if let known = clusters[caseID] {
                slot = known
            } else if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT cluster, last FROM logCase WHERE caseID = ?"), arguments: [caseID]) {
                slot = (row[0], row[1])
            } else {
                let cluster = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(cluster), 0) + 1 FROM logCase")) ?? 1)
                try db.cachedStatement(sql: "INSERT INTO logCase (caseID, cluster, last) VALUES (?, ?, 0)").execute(arguments: [caseID, cluster])
                slot = (cluster, 0)
            }
            slot.last += 1
            guard slot.last < 1 << 32, slot.cluster < 1 << 31 else {
                throw DatabaseError(message: "case \(caseID): no position left (cluster \(slot.cluster), operation \(slot.last))")
            }
            clusters[caseID] = slot
            return slot.cluster << 32 | slot.last
        }
        for (index, operation) in operations.enumerated() {
            let id = operation.id.description
            let replica = operation.replica.description
            let plaintext = codec.encode(operation)
            let body = try bodies.seal(plaintext, for: operation.id)
            let entity = operation.entity.description
            let caseID = operation.caseID.description
            let position = try nextPosition(caseID)
            try insert.execute(arguments: [position, id, replica, Int64(operation.seq), caseID, entity, received, body])
            if db.changesCount == 1 {
                entries.append(Entry(id: operation.id, position: position, isNew: true))
                touchedReplicas.insert(replica)
                if case .create(let type) = operation.change {
                    try insertCreatedEntity.execute(arguments: [entity, caseID, type])
                } else {
                    try insertEntity.execute(arguments: [entity, caseID])
                }
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
            guard let stored: Data = existing?["body"], try sameOperation(bodies.open(stored), plaintext, codec: codec) else {
                throw OperationError(path: "operations[\(index)]", reason: .conflictingDuplicate)
            }
            entries.append(Entry(id: operation.id, position: existing?["position"] ?? 0, isNew: false))
            clusters[caseID]!.last -= 1
        }
        for (caseID, slot) in clusters {
            try db.cachedStatement(sql: "UPDATE logCase SET last = ? WHERE caseID = ?").execute(arguments: [slot.last, caseID])
        }
        for replica in touchedReplicas { try advanceProgress(of: replica, in: db) }
        return entries
    }

    /// Whether the held copy of an operation (by its id) is this very
    /// operation, judged as `apply` judges a duplicate; nil when none is held.
    public static func heldCopyMatches(
        _ operation: SyncCore.Operation, codec: OperationCodec, bodies: some OperationBodyCodec = PlaintextBodies(), in db: Database
    ) throws -> Bool? {
        guard let stored = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT body FROM operation WHERE id = ?"), arguments: [operation.id.description])
        else { return nil }
        return try sameOperation(bodies.open(stored), codec.encode(operation), codec: codec)
    }

    /// Whether a held body and a new canonical encoding are the same
    /// operation. Bytes first; then the held body written again in today's
    /// canonical form, since a body stored by an earlier version keeps that
    /// version's spelling (numbers that are not integers, Protocol.md §4), and
    /// its retry must not become a `conflicting-duplicate`.
    private static func sameOperation(_ held: Data, _ canonical: Data, codec: OperationCodec) -> Bool {
        if held == canonical { return true }
        guard let decoded = try? codec.decode(held) else { return false }
        return codec.encode(decoded) == canonical
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

    /// Which of one author replica's sequence numbers are held: every one up
    /// to its contiguous mark, and those above it that arrived early. The
    /// server states it to the device (`GET /v1/devices/current`), which
    /// sends again what a restored server lost.
    public static func knowledge(of replica: ReplicaID, in db: Database) throws -> ReplicaKnowledge {
        let id = replica.description
        let contiguous = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT contiguous FROM replicaProgress WHERE replica = ?"), arguments: [id]) ?? 0
        let early = try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT seq FROM operation WHERE replica = ? AND seq > ?"), arguments: [id, contiguous])
        return ReplicaKnowledge(
            contiguous: contiguous > 0 ? [replica: UInt64(contiguous)] : [:],
            extra: [replica: Set(early.map(UInt64.init))])
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

    /// The case a held entity belongs to and its type (nil while its `create`
    /// is not held); nil when nothing of it is held. An entity stored before
    /// types were recorded gets its type from its `create` here, once.
    public static func entity(
        _ id: EntityID, bodies: some OperationBodyCodec = PlaintextBodies(), codec: OperationCodec, in db: Database
    ) throws -> (caseID: EntityID, type: String?)? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT caseID, entityType FROM entity WHERE id = ?"), arguments: [id.description]),
            let caseID = EntityID(row[0] as String)
        else { return nil }
        if let type: String = row[1] { return (caseID, type) }
        let type = try fold(StoredOperation.ofEntity(id.description), codec: codec, bodies: bodies, in: db).states[id]?.entityType
        if let type {
            try db.execute(sql: "UPDATE entity SET entityType = ? WHERE id = ?", arguments: [type, id.description])
        }
        return (caseID, type)
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
        guard let range = try positionRange(ofCase: caseID, in: db) else { return [] }
        let statement = try db.cachedStatement(
            sql: "SELECT position, receivedAt, body FROM operation WHERE position > ? AND position < ? AND caseID = ? ORDER BY position LIMIT ?")
        var page: [(position: Int64, receivedAt: Int64, body: Data)] = []
        // The case's range, and only its rows: a row of another case in it
        // (written by something else than `apply`) is never sent for this one.
        let rows = try Row.fetchCursor(
            statement, arguments: [max(position, range.lowerBound), range.upperBound, caseID.description, limit])
        while let row = try rows.next() { page.append((row[0], row[1], row[2])) }
        return page
    }

    /// How many operations of one case lie after a position (a range of the
    /// table's own key, the case's cluster).
    public static func count(ofCase caseID: EntityID, after position: Int64, in db: Database) throws -> Int {
        guard let range = try positionRange(ofCase: caseID, in: db) else { return 0 }
        let statement = try db.cachedStatement(sql: "SELECT COUNT(*) FROM operation WHERE position > ? AND position < ? AND caseID = ?")
        return try Int.fetchOne(statement, arguments: [max(position, range.lowerBound), range.upperBound, caseID.description]) ?? 0
    }

    /// The positions a case's operations take, its cluster: from
    /// `cluster << 32` (before its first) up to `(cluster + 1) << 32`; nil
    /// while the log holds none of the case.
    private static func positionRange(ofCase caseID: EntityID, in db: Database) throws -> Range<Int64>? {
        let cluster = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT cluster FROM logCase WHERE caseID = ?"), arguments: [caseID.description])
        return cluster.map { ($0 << 32)..<(($0 + 1) << 32) }
    }

    public static func count(in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operation") ?? 0
    }

    /// Every case that has operations.
    public static func caseIDs(in db: Database) throws -> [EntityID] {
        try String.fetchAll(db, sql: "SELECT DISTINCT caseID FROM entity ORDER BY caseID").compactMap(EntityID.init)
    }

    /// The entities `request` selects rows of (`StoredOperation.ofEntity`,
    /// `StoredOperation.all().ofCase(_:)`...), rebuilt with SyncCore's merge.
    public static func fold(
        _ request: some FetchRequest<StoredOperation>, codec: OperationCodec,
        bodies: some OperationBodyCodec = PlaintextBodies(), in db: Database
    ) throws -> EntityFold {
        var fold = EntityFold()
        try fold.add(try request.fetchCursor(db), codec: codec, bodies: bodies)
        return fold
    }

    /// Deletes a case's operations and entities: a laptop whose user lost the case.
    public static func deleteCase(_ caseID: EntityID, in db: Database) throws {
        try StoredOperation.all().ofCase(caseID.description).deleteAll(db)
        try StoredEntity.filter(StoredEntity.Columns.caseID == caseID.description).deleteAll(db)
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
