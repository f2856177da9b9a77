import Foundation
import GRDB

/// A row of the log's `operation` table (`OperationLog`), as the fold reads
/// it: the body (sealed on a laptop) and when this replica received it.
public struct StoredOperation: FetchableRecord, TableRecord, Sendable {
    public static let databaseTableName = "operation"

    public enum Columns {
        /// Where the operation sits in the log: `(case cluster << 32) | n`.
        public static let position = Column("position")
        public static let id = Column("id")
        public static let replica = Column("replica")
        public static let seq = Column("seq")
        public static let caseID = Column("caseID")
        public static let entity = Column("entity")
        public static let receivedAt = Column("receivedAt")
        /// The canonical JSON encoding (Protocol.md §4), sealed on a laptop.
        public static let body = Column("body")
    }

    public static var databaseSelection: [any SQLSelectable] { [Columns.receivedAt, Columns.body] }

    public var receivedAt: UInt64
    public var body: Data

    public init(row: Row) throws {
        receivedAt = UInt64(row[Columns.receivedAt] as Int64)
        body = row[Columns.body]
    }

    /// The operations of one entity. A cached statement, not the query
    /// interface (which prepares its statement on every call): it runs for
    /// each entity of every push, once for the write rules and once for the
    /// conflict log.
    public static func ofEntity(_ entity: String) -> SQLRequest<StoredOperation> {
        SQLRequest(sql: "SELECT receivedAt, body FROM operation WHERE entity = ?", arguments: [entity], cached: true)
    }
}

extension DerivableRequest<StoredOperation> {
    /// The operations of every entity of a case, through the entity table,
    /// so that an entity's operations are read whole even if one of them
    /// named another case.
    public func ofCase(_ caseID: String) -> Self {
        filter(StoredEntity.filter(StoredEntity.Columns.caseID == caseID).select(StoredEntity.Columns.id).contains(StoredOperation.Columns.entity))
    }

    /// The operations of every case entity (one whose id is its case's).
    public func ofCaseEntities() -> Self {
        filter(StoredEntity.filter(StoredEntity.Columns.id == StoredEntity.Columns.caseID).select(StoredEntity.Columns.id)
            .contains(StoredOperation.Columns.entity))
    }

    /// The operations of the entities of these types, and of those whose
    /// `create` is not held yet (their type is not known, so they may be one).
    public func ofEntityTypes(_ types: [String]) -> Self {
        filter(StoredEntity.filter(types.contains(StoredEntity.Columns.entityType) || StoredEntity.Columns.entityType == nil)
            .select(StoredEntity.Columns.id).contains(StoredOperation.Columns.entity))
    }

    /// The operations of these entities.
    public func ofEntities(_ ids: [String]) -> Self {
        filter(ids.contains(StoredOperation.Columns.entity))
    }
}
