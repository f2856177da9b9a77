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
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(OperationLog.MigrationName.createTables, migrate: OperationLog.createTables)
        migrator.registerMigration("field v1", migrate: createFieldTables)
        migrator.registerMigration(OperationLog.MigrationName.clusterByCase) { db in try OperationLog.clusterByCase(db) }
        migrator.registerMigration(OperationLog.MigrationName.recordEntityTypes, migrate: OperationLog.recordEntityTypes)
        migrator.registerMigration("field v2: sealed device token") { db in
            try db.alter(table: ClientStateRecord.databaseTableName) { table in table.add(column: "sealedToken", .blob) }
        }
        migrator.registerMigration("field v3: acknowledgements", migrate: createAcknowledgements)
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
