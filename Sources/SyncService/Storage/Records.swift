import Foundation
import GRDB
import SyncCore

// The role is SyncCore's (the write rules are decided by it); stored as its name.
extension UserRole: DatabaseValueConvertible {}

struct UserRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "user"
    var name: String
    var role: UserRole
    var passwordHash: String
    var createdAt: Int64
    var removedAt: Int64?
}

struct DeviceRecord: Codable, FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "device"
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
    /// SHA-256 of the batch's operations (`ServerDatabase.isRetry`); nil in
    /// receipts stored before it was kept.
    var operationsHash: Data?
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
