import GRDB
import SyncPersistence

/// Every migration of the server's database, in the order they run; each
/// body sits beside the tables it makes. GRDB records an applied migration
/// by its name in the database: a released name never changes (a database
/// that applied it would run it again) and a new migration goes at the end.
enum ServerMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(OperationLog.MigrationName.createTables, migrate: OperationLog.createTables)
        migrator.registerMigration("server v1", migrate: ServerDatabase.createTables)
        migrator.registerMigration("review sessions v1", migrate: ServerDatabase.createReviewSessions)
        migrator.registerMigration(OperationLog.MigrationName.clusterByCase) { db in
            try OperationLog.clusterByCase(db, renumbered: ServerDatabase.translateStoredPositions)
        }
        migrator.registerMigration(OperationLog.MigrationName.recordEntityTypes, migrate: OperationLog.recordEntityTypes)
        migrator.registerMigration("server v2 read quota", migrate: OfflineReadCheck.createReadQuota)
        migrator.registerMigration("server v3 quarantine what the write rules refuse", migrate: OperationQuarantine.quarantine)
        migrator.registerMigration("server v4 device token key", migrate: ServerKeys.createKeyTable)
        migrator.registerMigration("server v5 push receipts keep their batch's hash", migrate: ServerDatabase.addBatchHash)
        return migrator
    }
}
