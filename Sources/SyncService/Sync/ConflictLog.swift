import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// The server's conflict log: SyncCore's conflict records of every entity,
/// kept in a table so that supervisors can list them without merging the whole
/// database. Rebuilt for each entity a push touches, in the push's transaction.
public enum ConflictLog {
    /// An entity as merged from every stored operation of it (`EntityFold`),
    /// with the time the server received each operation (conflict records
    /// show both times).
    public struct MergedEntity: Sendable {
        public var state: EntityState
        public var receivedAt: [OperationID: UInt64]
        /// Every operation of the entity came in this push: the log holds no
        /// row of it yet.
        var isNew = false

        init(_ entity: EntityID, fold: EntityFold, isNew: Bool = false) {
            state = fold.states[entity] ?? EntityState(id: entity)
            receivedAt = fold.receivedAt
            self.isNew = isNew
        }
    }

    /// The entity after a push stored `fresh` (its operations new in the
    /// batch). An entity that has no other operation (a note the batch
    /// creates, the common case) is merged from `fresh` as decoded, without
    /// reading back and decoding what was just written; merging is
    /// order-independent, so the result is the same.
    static func merge(
        _ entity: EntityID, adding fresh: [SyncCore.Operation], receivedAt: UInt64, codec: OperationCodec, in db: Database
    ) throws -> MergedEntity {
        let stored = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT COUNT(*) FROM operation WHERE entity = ?"), arguments: [entity.description]) ?? 0
        guard stored == fresh.count else { return try merge(entity, codec: codec, in: db) }
        var fold = EntityFold()
        fold.add(fresh, receivedAt: receivedAt)
        return MergedEntity(entity, fold: fold, isNew: true)
    }

    static func merge(_ entity: EntityID, codec: OperationCodec, in db: Database) throws -> MergedEntity {
        MergedEntity(entity, fold: try OperationLog.fold(StoredOperation.ofEntity(entity.description), codec: codec, in: db))
    }

    /// Rewrites the conflict rows of each merged entity. Returns how the number
    /// of open conflicts changed, so that the gauge needs no count of the table.
    static func refresh(_ entities: [MergedEntity], in db: Database) throws -> Int {
        let delete = try db.cachedStatement(sql: "DELETE FROM conflict WHERE entity = ? RETURNING isOpen")
        let insert = try db.cachedStatement(sql: """
            INSERT INTO conflict (id, caseID, entity, field, kind, isOpen, latestAt, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var openDelta = 0
        for merged in entities {
            let entity = merged.state.id.description
            if !merged.isNew {
                openDelta -= try Bool.fetchAll(delete, arguments: [entity]).filter { $0 }.count
            }
            for record in merged.state.conflicts() {
                try insert.execute(arguments: [
                    record.id, record.caseID.description, entity, record.field, record.kind.rawValue, record.isOpen,
                    Int64(record.latestMilliseconds),
                    OperationCodec.canonicalBytes(record.jsonValue { merged.receivedAt[$0] }),
                ])
                if record.isOpen { openDelta += 1 }
            }
        }
        return openDelta
    }
}

extension ServerDatabase {
    public enum ConflictStatus: String, Sendable, CaseIterable {
        case open, resolved, all
    }

    public struct ConflictQuery: Sendable {
        public var caseIDs: [EntityID]?
        public var status: ConflictStatus = .open
        public var field: String?
        /// Only records where this user wrote one of the values.
        public var author: String?
        public var oldestFirst = false
        public var limit = 200

        public init(
            caseIDs: [EntityID]? = nil, status: ConflictStatus = .open, field: String? = nil, author: String? = nil,
            oldestFirst: Bool = false, limit: Int = 200
        ) {
            self.caseIDs = caseIDs
            self.status = status
            self.field = field
            self.author = author
            self.oldestFirst = oldestFirst
            self.limit = limit
        }
    }

    /// Conflict documents, newest first unless asked otherwise. Used by
    /// `GET /v1/conflicts` and the review pages' queue.
    public func conflicts(_ query: ConflictQuery) async throws -> [JSONValue] {
        try await writer.read { db in
            var request = ConflictRow.all()
            switch query.status {
            case .open: request = request.filter(ConflictRow.Columns.isOpen == true)
            case .resolved: request = request.filter(ConflictRow.Columns.isOpen == false)
            case .all: break
            }
            if let caseIDs = query.caseIDs { request = request.filter(caseIDs.map(\.description).contains(ConflictRow.Columns.caseID)) }
            if let field = query.field { request = request.filter(ConflictRow.Columns.field == field) }
            request = query.oldestFirst
                ? request.order(ConflictRow.Columns.latestAt.asc, ConflictRow.Columns.id)
                : request.order(ConflictRow.Columns.latestAt.desc, ConflictRow.Columns.id)
            // The author is inside the document, so the limit counts after that filter.
            var documents: [JSONValue] = []
            let rows = try ConflictRow.fetchCursor(db, request)
            while documents.count < query.limit, let row = try rows.next() {
                let document = try OperationCodec.parse(row.document, path: "conflict")
                if let author = query.author {
                    let authors = (document.member("values")?.arrayValue ?? []).compactMap { $0.member("author")?.stringValue }
                    guard authors.contains(author) else { continue }
                }
                documents.append(document)
            }
            return documents
        }
    }

    /// Counted in the database; `openConflicts` keeps the same figure without a query.
    public func openConflictCount() async throws -> Int {
        try await writer.read { db in try Self.countOpenConflicts(in: db) }
    }

    static func countOpenConflicts(in db: Database) throws -> Int {
        try ConflictRow.filter(ConflictRow.Columns.isOpen == true).fetchCount(db)
    }
}
