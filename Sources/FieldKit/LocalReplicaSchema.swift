import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// The laptop's database: SyncPersistence's operation log plus the tables of
/// `LocalReplica`, whose records follow.
enum LocalReplicaSchema {
    /// Every migration of the laptop's database, in the order they run. GRDB
    /// records each by its name in the database: a released name never
    /// changes (a laptop that applied it would run it again), and a new
    /// migration goes at the end.
    ///
    /// `bodies` opens the sealed operations, which the count of open
    /// conflicts (`OpenConflictRecord`) is first computed from.
    static func migrator(bodies: some OperationBodyCodec) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(OperationLog.MigrationName.createTables, migrate: OperationLog.createTables)
        migrator.registerMigration("field v1", migrate: createFieldTables)
        migrator.registerMigration(OperationLog.MigrationName.clusterByCase) { db in try OperationLog.clusterByCase(db) }
        migrator.registerMigration(OperationLog.MigrationName.recordEntityTypes, migrate: OperationLog.recordEntityTypes)
        migrator.registerMigration("field v2: sealed device token") { db in
            try db.alter(table: ClientStateRecord.databaseTableName) { table in table.add(column: "sealedToken", .blob) }
        }
        migrator.registerMigration("field v3: acknowledgements", migrate: createAcknowledgements)
        migrator.registerMigration("field v4: open conflicts") { db in try createOpenConflicts(db, bodies: bodies) }
        migrator.registerMigration("field v5: entity types") { db in try recordMissingEntityTypes(db, bodies: bodies) }
        migrator.registerMigration("field v6: withdrawn operations", migrate: createWithdrawnOperations)
        return migrator
    }

    private static func createFieldTables(_ db: Database) throws {
        try db.create(table: ClientStateRecord.databaseTableName) { table in
            table.primaryKey("id", .integer).check { $0 == 1 }
            table.column("clock", .integer).notNull()
            table.column("nextSeq", .integer).notNull()
            table.column("cursor", .text)
            table.column("lastSyncAt", .integer)
        }
        try db.execute(sql: "INSERT INTO clientState (id, clock, nextSeq) VALUES (1, 0, 1)")
        try db.create(table: OutboxRecord.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("seq", .integer)
            table.column("id", .text).notNull()
            table.column("caseID", .text).notNull()
        }
        try db.create(table: ReadLogRecord.databaseTableName) { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("at", .integer).notNull()
            table.column("caseID", .text).notNull()
            table.column("entity", .text)
            table.column("what", .text).notNull()
        }
    }

    private static func createAcknowledgements(_ db: Database) throws {
        try db.create(table: AcknowledgementRecord.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("id", .text)
            table.column("proof", .text)
            // Why the server refused it when it was sent again, for good.
            table.column("givenUp", .text)
        }
    }
}

extension LocalReplicaSchema {
    /// The table of open conflicts, filled from what the laptop holds: one
    /// fold of every case, once, at the upgrade (about as long as the first
    /// sync's storing of the same operations).
    static func createOpenConflicts(_ db: Database, bodies: some OperationBodyCodec) throws {
        try db.create(table: OpenConflictRecord.databaseTableName) { table in
            table.primaryKey("entity", .text)
            table.column("caseID", .text).notNull().indexed()
            table.column("count", .integer).notNull().check { $0 > 0 }
        }
        // Leniently: a laptop an earlier version let stamp with a broken
        // clock holds bodies the strict codec refuses, and the repair that
        // re-stamps them (`repairClockDamage`) runs only after the migrations.
        let codec = OperationCodec.acceptingAnyTimestamp
        for caseID in try StoredEntity.select(StoredEntity.Columns.caseID, as: String.self).distinct().fetchAll(db) {
            let fold = try OperationLog.fold(StoredOperation.all().ofCase(caseID), codec: codec, bodies: bodies, in: db)
            try OpenConflictRecord.record(fold.states.values, in: db)
        }
    }
}

extension LocalReplicaSchema {
    /// Operations of this laptop taken back after the server refused them for
    /// a role the user lost (`LocalReplica.withdraw`): out of the log, kept
    /// here as they were sealed, for the record.
    static func createWithdrawnOperations(_ db: Database) throws {
        try db.create(table: WithdrawnOperationRecord.databaseTableName) { table in
            table.primaryKey("id", .text)
            table.column("caseID", .text).notNull()
            table.column("body", .blob).notNull()
            table.column("code", .text).notNull()
            table.column("withdrawnAt", .integer).notNull()
        }
    }
}

/// An operation taken back from the log (see `createWithdrawnOperations`).
struct WithdrawnOperationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "withdrawnOperation"

    enum Columns {
        static let id = Column("id")
    }

    var id: String
    var caseID: String
    /// Sealed as it was in the log.
    var body: Data
    var code: String
    var withdrawnAt: Int64
}

extension LocalReplicaSchema {
    /// The type of every entity stored before types were recorded, from its
    /// `create`, once: the agenda and the case list fold only case records
    /// and next steps (`ofEntityTypes`), and an entity of no recorded type is
    /// folded with them, so on a laptop upgraded from then every note would
    /// be opened for every agenda. An entity whose `create` is not held keeps
    /// none until it comes.
    static func recordMissingEntityTypes(_ db: Database, bodies: some OperationBodyCodec) throws {
        // Leniently, as above: the clock repair runs after the migrations.
        let codec = OperationCodec.acceptingAnyTimestamp
        let untyped = try StoredEntity.filter(StoredEntity.Columns.entityType == nil)
            .select(StoredEntity.Columns.id, as: String.self).fetchAll(db)
        for id in untyped.compactMap(EntityID.init) {
            _ = try OperationLog.entity(id, bodies: bodies, codec: codec, in: db)
        }
    }
}

/// How many conflicts of an entity are open, for the entities that have
/// any: kept with every write and every pull, so that the app's header and
/// the case list count them without opening every note of every case.
struct OpenConflictRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "openConflict"

    enum Columns {
        static let entity = Column("entity")
        static let caseID = Column("caseID")
        static let count = Column("count")
    }

    var entity: String
    var caseID: String
    var count: Int64

    /// Records the open conflicts of each of `states`, each the whole merged
    /// state of its entity.
    static func record(_ states: some Sequence<EntityState>, in db: Database) throws {
        for state in states {
            let open = state.conflicts().count(where: \.isOpen)
            if open == 0 {
                try deleteOne(db, key: state.id.description)
            } else {
                try OpenConflictRecord(entity: state.id.description, caseID: state.caseID.description, count: Int64(open)).upsert(db)
            }
        }
    }

    /// Counts again the open conflicts of the entities `operations` added
    /// to, once `OperationLog.apply` stored them (`entries` its answer; nil
    /// when every one was new, as written on this laptop). Those operations
    /// are at hand decoded, and so are the states of the entities in
    /// `statesBefore` (a write's lookups; nil for an entity none was held
    /// of): only the other entities' operations held before are opened from
    /// the log (on a first sync, none).
    static func record(
        afterApplying operations: [SyncCore.Operation], entries: [OperationLog.Entry]?,
        statesBefore: [EntityID: EntityState?] = [:], codec: OperationCodec,
        bodies: some OperationBodyCodec, in db: Database
    ) throws {
        let newIDs = Set(entries.map { $0.filter(\.isNew).map(\.id) } ?? operations.map(\.id))
        let added = operations.filter { newIDs.contains($0.id) }
        guard !added.isEmpty else { return }
        let touched = Set(added.map(\.entity))
        var states: [EntityID: EntityState] = [:]
        for id in touched { if let known = statesBefore[id], let state = known { states[id] = state } }
        let unknown = touched.filter { statesBefore[$0] == nil }.map(\.description).sorted()
        if !unknown.isEmpty {
            let heldBefore = StoredOperation.all().ofEntities(unknown)
                .filter(!newIDs.map(\.description).contains(StoredOperation.Columns.id))
            states.merge(try OperationLog.fold(heldBefore, codec: codec, bodies: bodies, in: db).states) { known, _ in known }
        }
        for operation in added { _ = states[operation.entity, default: EntityState(id: operation.entity)].apply(operation) }
        try record(states.values, in: db)
    }

    /// Open conflicts by case, for the cases that have any.
    static func countsByCase(in db: Database) throws -> [EntityID: Int] {
        let rows = try Row.fetchAll(db, select(Columns.caseID, sum(Columns.count)).group(Columns.caseID))
        return Dictionary(uniqueKeysWithValues: rows.compactMap { row in
            EntityID(row[0] as String).map { ($0, Int(row[1] as Int64)) }
        })
    }

    static func total(in db: Database) throws -> Int {
        Int(try select(sum(Columns.count), as: Int64.self).fetchOne(db) ?? 0)
    }
}

/// The laptop's one row of sync state: its hybrid clock, its next sequence
/// number, the pull cursor, the last sync and the sealed device token.
struct ClientStateRecord: TableRecord {
    static let databaseTableName = "clientState"

    enum Columns {
        /// Always 1: the table holds one row.
        static let id = Column("id")
        static let clock = Column("clock")
        static let nextSeq = Column("nextSeq")
        static let cursor = Column("cursor")
        static let lastSyncAt = Column("lastSyncAt")
        static let sealedToken = Column("sealedToken")
    }

    static var row: QueryInterfaceRequest<ClientStateRecord> { filter(Columns.id == 1) }

    /// The hybrid clock's latest stamp, written or seen.
    static func clock(in db: Database) throws -> HLCTimestamp {
        HLCTimestamp(rawValue: UInt64(try row.select(Columns.clock, as: Int64.self).fetchOne(db) ?? 0))
    }

    static func setClock(_ clock: HLCTimestamp, in db: Database) throws {
        try row.updateAll(db, Columns.clock.set(to: Int64(clock.rawValue)))
    }
}

/// An operation written on this laptop that the server has not acknowledged yet.
struct OutboxRecord: Codable, PersistableRecord {
    static let databaseTableName = "outbox"

    enum Columns {
        static let seq = Column("seq")
        static let id = Column("id")
        static let caseID = Column("caseID")
    }

    var seq: Int64
    var id: String
    var caseID: String
}

/// A read of case data on this laptop, for the server's audit log.
struct ReadLogRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "readLog"

    enum Columns {
        static let id = Column("id")
        static let at = Column("at")
        static let caseID = Column("caseID")
        static let entity = Column("entity")
        static let what = Column("what")
    }

    /// Given by SQLite on insert.
    var id: Int64?
    var at: Int64
    var caseID: String
    var entity: String?
    var what: String
}

/// What the server acknowledged of this laptop's own operations, with its
/// receipt's proof: sent again after a restore (Protocol.md §10.9).
struct AcknowledgementRecord: TableRecord {
    static let databaseTableName = "acknowledgement"

    enum Columns {
        static let id = Column("id")
        static let proof = Column("proof")
        static let givenUp = Column("givenUp")
    }
}
