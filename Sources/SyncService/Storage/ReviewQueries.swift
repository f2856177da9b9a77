import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// What the review pages (target ReviewPages) read from the server database,
/// through the requests beside the tables' records (`Records.swift`,
/// `StoredOperation`).
extension ServerDatabase {
    /// Open conflicts per case.
    public func openConflictCountsPerCase() async throws -> [String: Int] {
        try await writer.read { db in
            Dictionary(uniqueKeysWithValues: try ConflictRow.openCountPerCase().fetchAll(db).map { ($0.caseID, $0.count) })
        }
    }

    /// The entity an entry of the conflict log belongs to.
    public func conflictEntity(_ conflictID: String) async throws -> EntityID? {
        try await writer.read { db in
            try ConflictRow.filter(ConflictRow.Columns.id == conflictID).select(ConflictRow.Columns.entity, as: String.self)
                .fetchOne(db).flatMap(EntityID.init)
        }
    }

    /// Every case with its merged case entity.
    public func reviewCases() async throws -> [EntityState] {
        let codec = self.codec
        return try await writer.read { db in
            try OperationLog.caseIDs(in: db).map { try ConflictLog.merge($0, codec: codec, in: db).state }
        }
    }

    /// Every entity of a case, merged, with the time the server received each
    /// operation; nil if the case does not exist.
    public func reviewCase(_ caseID: EntityID) async throws -> (entities: [EntityState], receivedAt: [OperationID: UInt64])? {
        let codec = self.codec
        return try await writer.read { db in
            guard try OperationLog.caseExists(caseID, in: db) else { return nil }
            let fold = try OperationLog.fold(StoredOperation.all().ofCase(caseID.description), codec: codec, in: db)
            return (fold.entities, fold.receivedAt)
        }
    }

    /// Device names by replica id, to show on which laptop a value was written.
    public func deviceNames(_ replicas: [String]) async throws -> [String: String] {
        try await writer.read { db in
            let devices = try DeviceRecord.filter(Set(replicas).contains(DeviceRecord.Columns.replica)).fetchAll(db)
            return Dictionary(uniqueKeysWithValues: devices.map { ($0.replica, $0.name) })
        }
    }

    /// Users who may take over a case: everyone not removed.
    public func activeUsers() async throws -> [(name: String, role: UserRole)] {
        try await writer.read { db in
            try UserRecord.filter(UserRecord.Columns.removedAt == nil).order(UserRecord.Columns.name).fetchAll(db)
                .map { ($0.name, $0.role) }
        }
    }

    /// The id of the newest audit event, 0 when there is none.
    public func newestAuditEventID() async throws -> Int64 {
        try await writer.read { db in
            try AuditEventRecord.select(max(AuditEventRecord.Columns.id), as: Int64.self).fetchOne(db) ?? 0
        }
    }

    /// How many events an access-log filter selects, up to an event id.
    public func auditEventCount(caseID: String?, actor: String?, through newest: Int64) async throws -> Int {
        try await writer.read { db in
            try AuditEventRecord.filter(AuditEventRecord.Columns.id <= newest).matching(caseID: caseID, actor: actor).fetchCount(db)
        }
    }
}
