import GRDB
import SyncPersistence

/// A database file holding the operation log alone, durable and migrated as
/// the server and the laptop open theirs: what the operation log tests and
/// the SQLite benchmark store into.
public enum OperationLogDatabase {
    public static func open(at path: String) throws -> DatabasePool {
        let pool = try DurableDatabasePool.open(path: path, configuration: DurableDatabasePool.configuration)
        var migrator = DatabaseMigrator()
        OperationLog.registerMigrations(in: &migrator)
        OperationLog.registerClusteringMigration(in: &migrator)
        OperationLog.registerEntityTypeMigration(in: &migrator)
        try migrator.migrate(pool)
        return pool
    }
}
