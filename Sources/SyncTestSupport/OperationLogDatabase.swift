import GRDB
import SyncPersistence

/// A database file holding the operation log alone, durable and migrated as
/// the server and the laptop open theirs: what the operation log tests and
/// the SQLite benchmark store into.
public enum OperationLogDatabase {
    public static func open(at path: String) throws -> DatabasePool {
        let pool = try DurableDatabasePool.open(path: path, configuration: DurableDatabasePool.configuration)
        try migrator.migrate(pool)
        return pool
    }

    /// Every migration of this database, in order: the log's alone, under
    /// the names the server and the laptop list them by.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(OperationLog.MigrationName.createTables, migrate: OperationLog.createTables)
        migrator.registerMigration(OperationLog.MigrationName.clusterByCase) { db in try OperationLog.clusterByCase(db) }
        migrator.registerMigration(OperationLog.MigrationName.recordEntityTypes, migrate: OperationLog.recordEntityTypes)
        return migrator
    }
}
