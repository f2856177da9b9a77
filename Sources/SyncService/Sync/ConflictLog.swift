import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// The server's conflict log: SyncCore's conflict records of every entity,
/// kept in a table so that supervisors can list them without merging the whole
/// database. Rebuilt for each entity a push touches, in the push's transaction.
enum ConflictLog {
    static func refresh(entities: Set<EntityID>, codec: OperationCodec, in db: Database) throws {
        for entity in entities.sorted() {
            let rows = try Row.fetchAll(db, sql: "SELECT id, receivedAt, body FROM operation WHERE entity = ?",
                                        arguments: [entity.description])
            var receivedAt: [OperationID: UInt64] = [:]
            var state = EntityState(id: entity)
            for row in rows {
                let operation = try OperationLog.decode(row["body"], codec: codec)
                state.apply(operation)
                receivedAt[operation.id] = UInt64(row["receivedAt"] as Int64)
            }
            try db.execute(sql: "DELETE FROM conflict WHERE entity = ?", arguments: [entity.description])
            for record in state.conflicts() {
                try ConflictRow(
                    id: record.id, caseID: record.caseID.description, entity: entity.description, field: record.field,
                    kind: record.kind.rawValue, isOpen: record.isOpen, latestAt: Int64(record.latestMilliseconds),
                    document: OperationCodec.canonicalBytes(record.jsonValue { receivedAt[$0] })
                ).insert(db)
            }
        }
    }
}

extension ServerDatabase {
    public enum ConflictStatus: String, Sendable, CaseIterable {
        case open, resolved, all
    }

    public struct ConflictQuery: Sendable {
        public var caseIDs: [EntityID]?
        public var status: ConflictStatus = .open
        public var limit = 200

        public init(caseIDs: [EntityID]? = nil, status: ConflictStatus = .open, limit: Int = 200) {
            self.caseIDs = caseIDs
            self.status = status
            self.limit = limit
        }
    }

    /// Conflict documents, newest first.
    public func conflicts(_ query: ConflictQuery) async throws -> [JSONValue] {
        try await writer.read { db in
            var request = ConflictRow.order(Column("latestAt").desc, Column("id")).limit(query.limit)
            switch query.status {
            case .open: request = request.filter(Column("isOpen") == true)
            case .resolved: request = request.filter(Column("isOpen") == false)
            case .all: break
            }
            if let caseIDs = query.caseIDs { request = request.filter(caseIDs.map(\.description).contains(Column("caseID"))) }
            return try request.fetchAll(db).map { try OperationCodec.parse($0.document, path: "conflict") }
        }
    }

    public func openConflictCount() async throws -> Int {
        try await writer.read { db in try ConflictRow.filter(Column("isOpen") == true).fetchCount(db) }
    }
}
