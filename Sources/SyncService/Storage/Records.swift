import Foundation
import GRDB
import SyncCore

// The server's own tables, one record each, and the requests the server runs
// on them. Their migrations run in the order `ServerMigrations` lists.

// The role is SyncCore's (the write rules are decided by it); stored as its name.
extension UserRole: DatabaseValueConvertible {}

struct UserRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "user"

    enum Columns {
        static let name = Column("name")
        static let role = Column("role")
        static let removedAt = Column("removedAt")
    }

    var name: String
    var role: UserRole
    var passwordHash: String
    var createdAt: Int64
    var removedAt: Int64?
}

struct DeviceRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "device"

    enum Columns {
        static let replica = Column("replica")
        static let user = Column("user")
        static let name = Column("name")
        static let createdAt = Column("createdAt")
    }

    /// The device's replica id: it writes operations under this id only.
    var replica: String
    var user: String
    var name: String
    /// SHA-256 of the bearer token; the token itself is never stored.
    var tokenHash: Data
    var createdAt: Int64
    var lastSeenAt: Int64?
    var revokedAt: Int64?
}

struct CaseMemberRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "caseMember"
    var caseID: String
    var user: String
}

struct PushReceiptRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "pushReceipt"
    var device: String
    var batch: String
    var receipt: Data
    var createdAt: Int64
    /// SHA-256 of the batch's operation ids and reads
    /// (`ServerDatabase.batchHash`); nil in receipts stored before it was kept.
    var batchHash: Data?
}

struct PullCursorRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "pullCursor"
    var id: String
    var device: String
    var createdAt: Int64
    /// JSON object: case id to the last position sent to the device.
    var positions: Data
}

struct ConflictRow: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "conflict"

    enum Columns {
        static let id = Column("id")
        static let caseID = Column("caseID")
        static let entity = Column("entity")
        static let field = Column("field")
        static let isOpen = Column("isOpen")
        static let latestAt = Column("latestAt")
    }

    var id: String
    var caseID: String
    var entity: String
    var field: String
    var kind: String
    var isOpen: Bool
    /// Newest time among the values (or the resolution), for ordering the queue.
    var latestAt: Int64
    var document: Data
}

struct AuditEventRecord: Codable, FetchableRecord, MutablePersistableRecord, Sendable {
    static let databaseTableName = "auditEvent"

    enum Columns {
        static let id = Column("id")
        static let actor = Column("actor")
        static let caseID = Column("caseID")
    }

    var id: Int64?
    var at: Int64
    var actor: String?
    var device: String?
    var action: String
    var caseID: String?
    /// `server` for what the server saw, `device` for reads a laptop made offline.
    var source: String
    var detail: Data

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

struct ReviewSessionRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "reviewSession"

    enum Columns {
        static let idHash = Column("idHash")
        static let expiresAt = Column("expiresAt")
    }

    /// SHA-256 of the cookie value; the cookie value itself is never stored.
    var idHash: Data
    var user: String
    var device: String
    var csrfToken: String
    var createdAt: Int64
    var expiresAt: Int64
}

/// How many open conflicts a case has.
struct OpenConflictCount: Decodable, FetchableRecord, Sendable {
    var caseID: String
    var count: Int
}

extension ConflictRow {
    static func openCountPerCase() -> QueryInterfaceRequest<OpenConflictCount> {
        filter(Columns.isOpen).group(Columns.caseID)
            .select(Columns.caseID, count(Columns.id).forKey("count"))
            .asRequest(of: OpenConflictCount.self)
    }
}

extension DerivableRequest<AuditEventRecord> {
    /// The events of one case, of one actor, or both; all when both are nil.
    func matching(caseID: String?, actor: String?) -> Self {
        var request = self
        if let caseID { request = request.filter(AuditEventRecord.Columns.caseID == caseID) }
        if let actor { request = request.filter(AuditEventRecord.Columns.actor == actor) }
        return request
    }
}

extension ServerDatabase {
    /// The tables of the records above: migration "server v1".
    static func createTables(_ db: Database) throws {
        try db.create(table: UserRecord.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("name", .text)
            table.column("role", .text).notNull()
            table.column("passwordHash", .text).notNull()
            table.column("createdAt", .integer).notNull()
            table.column("removedAt", .integer)
        }
        try db.create(table: DeviceRecord.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("replica", .text)
            table.column("user", .text).notNull().indexed().references(UserRecord.databaseTableName)
            table.column("name", .text).notNull()
            table.column("tokenHash", .blob).notNull().unique()
            table.column("createdAt", .integer).notNull()
            table.column("lastSeenAt", .integer)
            table.column("revokedAt", .integer)
        }
        try db.create(table: CaseMemberRecord.databaseTableName, options: .withoutRowID) { table in
            table.column("caseID", .text).notNull()
            table.column("user", .text).notNull().indexed()
            table.primaryKey(["caseID", "user"])
        }
        try db.create(table: PushReceiptRecord.databaseTableName, options: .withoutRowID) { table in
            table.column("device", .text).notNull()
            table.column("batch", .text).notNull()
            table.column("receipt", .blob).notNull()
            table.column("createdAt", .integer).notNull()
            table.primaryKey(["device", "batch"])
        }
        try db.create(table: PullCursorRecord.databaseTableName) { table in
            table.primaryKey("id", .text)
            table.column("device", .text).notNull()
            table.column("createdAt", .integer).notNull()
            table.column("positions", .blob).notNull()
        }
        try db.create(index: "pullCursor_on_device", on: PullCursorRecord.databaseTableName, columns: ["device", "createdAt"])
        try db.create(table: ConflictRow.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("id", .text)
            table.column("caseID", .text).notNull()
            table.column("entity", .text).notNull().indexed()
            table.column("field", .text).notNull()
            table.column("kind", .text).notNull()
            table.column("isOpen", .boolean).notNull()
            table.column("latestAt", .integer).notNull()
            table.column("document", .blob).notNull()
        }
        try db.create(index: "conflict_on_case", on: ConflictRow.databaseTableName, columns: ["caseID", "isOpen", "latestAt"])
        try db.create(index: "conflict_on_status", on: ConflictRow.databaseTableName, columns: ["isOpen", "latestAt"])
        try db.create(table: AuditEventRecord.databaseTableName) { table in
            table.autoIncrementedPrimaryKey("id")
            table.column("at", .integer).notNull()
            table.column("actor", .text)
            table.column("device", .text)
            table.column("action", .text).notNull()
            table.column("caseID", .text)
            table.column("source", .text).notNull()
            table.column("detail", .blob).notNull()
        }
        try db.create(index: "auditEvent_on_case", on: AuditEventRecord.databaseTableName, columns: ["caseID", "id"])
        try db.create(index: "auditEvent_on_actor", on: AuditEventRecord.databaseTableName, columns: ["actor", "id"])
        // The audit log is append-only: the database itself refuses changes.
        // Triggers have no query-interface form.
        try db.execute(sql: """
            CREATE TRIGGER auditEvent_no_update BEFORE UPDATE ON auditEvent
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            CREATE TRIGGER auditEvent_no_delete BEFORE DELETE ON auditEvent
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
            """)
    }

    /// The review pages' sessions: migration "review sessions v1".
    static func createReviewSessions(_ db: Database) throws {
        try db.create(table: ReviewSessionRecord.databaseTableName, options: .withoutRowID) { table in
            table.primaryKey("idHash", .blob)
            table.column("user", .text).notNull().indexed().references(UserRecord.databaseTableName)
            table.column("device", .text).notNull().references(DeviceRecord.databaseTableName)
            table.column("csrfToken", .text).notNull()
            table.column("createdAt", .integer).notNull()
            table.column("expiresAt", .integer).notNull()
        }
    }
}
