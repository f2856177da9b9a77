import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// What the review pages read from the server database.
extension ServerDatabase {
    /// Open conflicts per case.
    func openConflictCountsPerCase() async throws -> [String: Int] {
        try await writer.read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT caseID, COUNT(*) AS n FROM conflict WHERE isOpen GROUP BY caseID") {
                counts[row["caseID"]] = row["n"]
            }
            return counts
        }
    }

    /// The entity an entry of the conflict log belongs to.
    func conflictEntity(_ conflictID: String) async throws -> EntityID? {
        try await writer.read { db in
            try String.fetchOne(db, sql: "SELECT entity FROM conflict WHERE id = ?", arguments: [conflictID]).flatMap(EntityID.init)
        }
    }

    /// Every case with its merged case entity.
    func reviewCases() async throws -> [EntityState] {
        let codec = self.codec
        return try await writer.read { db in
            try OperationLog.caseIDs(in: db).map { try ConflictLog.merge($0, codec: codec, in: db).state }
        }
    }

    /// Every entity of a case, merged, with the time the server received each
    /// operation; nil if the case does not exist.
    func reviewCase(_ caseID: EntityID) async throws -> (entities: [EntityState], receivedAt: [OperationID: Int64])? {
        let codec = self.codec
        return try await writer.read { db in
            guard try OperationLog.caseExists(caseID, in: db) else { return nil }
            var states: [EntityID: EntityState] = [:]
            var receivedAt: [OperationID: Int64] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT operation.receivedAt, operation.body FROM entity JOIN operation ON operation.entity = entity.id
                WHERE entity.caseID = ?
                """, arguments: [caseID.description])
            while let row = try rows.next() {
                let operation = try OperationLog.decode(row["body"], codec: codec)
                states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
                receivedAt[operation.id] = row["receivedAt"]
            }
            return (states.values.sorted { $0.id < $1.id }, receivedAt)
        }
    }

    /// Device names by replica id, to show on which laptop a value was written.
    func deviceNames(_ replicas: [String]) async throws -> [String: String] {
        try await writer.read { db in
            var names: [String: String] = [:]
            for replica in Set(replicas) {
                names[replica] = try String.fetchOne(db, sql: "SELECT name FROM device WHERE replica = ?", arguments: [replica])
            }
            return names
        }
    }

    /// Users who may take over a case: everyone not removed.
    func activeUsers() async throws -> [(name: String, role: UserRole)] {
        try await writer.read { db in
            try UserRecord.filter(Column("removedAt") == nil).order(Column("name")).fetchAll(db).map { ($0.name, $0.role) }
        }
    }

    /// Every audit event matching the query, newest first, for the CSV export.
    /// The id of the newest audit event, 0 when there is none.
    func newestAuditEventID() async throws -> Int64 {
        try await writer.read { db in try AuditEventRecord.select(max(Column("id")), as: Int64.self).fetchOne(db) ?? 0 }
    }

    /// How many events an access-log filter selects, up to an event id.
    func auditEventCount(caseID: String?, actor: String?, through newest: Int64) async throws -> Int {
        try await writer.read { db in
            var request = AuditEventRecord.filter(Column("id") <= newest)
            if let caseID { request = request.filter(Column("caseID") == caseID) }
            if let actor { request = request.filter(Column("actor") == actor) }
            return try request.fetchCount(db)
        }
    }
}
