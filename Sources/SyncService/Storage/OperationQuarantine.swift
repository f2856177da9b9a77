import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// Operations an earlier server stored that the write rules (Protocol.md
/// §5.1) refuse: a finalization, deletion or second creation of a case, an
/// entity type no version accepts. A laptop refuses a pulled page that holds
/// one, so left in the log they would stop every new laptop's first sync.
/// The upgrade moves them out of the log into `quarantinedOperation`, where
/// they stay (nothing is erased: an administrator reads them there, and the
/// audit log says how many each case lost and why), and recomputes what
/// they had changed: the case's members and the conflict log.
///
/// Values are not judged here, as a laptop does not judge them in what it
/// pulls: text an old resolution wrote on a boolean field stays.
enum OperationQuarantine {
    /// Migration "server v3 quarantine what the write rules refuse".
    static func quarantine(_ db: Database) throws {
        try db.create(table: "quarantinedOperation", options: .withoutRowID) { table in
            table.primaryKey("id", .text)
            table.column("caseID", .text).notNull().indexed()
            table.column("position", .integer).notNull()
            table.column("code", .text).notNull()
            table.column("detail", .text).notNull()
            table.column("receivedAt", .integer).notNull()
            table.column("body", .blob).notNull()
        }
        try quarantineRefused(in: db, at: Int64(Date().timeIntervalSince1970 * 1000))
    }

    /// Walks every case's operations in log order, as a laptop pulling them
    /// would, and moves out each one the rules refuse.
    static func quarantineRefused(in db: Database, at now: Int64) throws {
        let codec = OperationCodec()
        let cases = try String.fetchAll(db, sql: "SELECT caseID FROM logCase ORDER BY cluster")
        for caseID in cases {
            var held = HeldEntityIndex()
            var refused: [(position: Int64, id: String, code: String, detail: String, receivedAt: Int64, body: Data)] = []
            let rows = try Row.fetchAll(
                db, sql: "SELECT position, id, receivedAt, body FROM operation WHERE caseID = ? ORDER BY position", arguments: [caseID])
            for row in rows {
                let operation: SyncCore.Operation
                do {
                    operation = try codec.decode(row["body"] as Data)
                } catch {
                    // A body this version cannot read (a stamp from 2100 on,
                    // say) would stop the upgrade, and every pull of its case.
                    refused.append((row["position"], row["id"], "undecodable", "\(error)", row["receivedAt"], row["body"]))
                    continue
                }
                do {
                    try WriteRules.checkForms([operation], holding: held, values: false)
                    held.record([operation])
                } catch let refusal as WriteRefusal {
                    refused.append((row["position"], row["id"], refusal.code, refusal.detail, row["receivedAt"], row["body"]))
                }
            }
            guard !refused.isEmpty else { continue }
            var touched: Set<String> = []
            for entry in refused {
                try db.execute(sql: """
                    INSERT INTO quarantinedOperation (id, caseID, position, code, detail, receivedAt, body) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [entry.id, caseID, entry.position, entry.code, entry.detail, entry.receivedAt, entry.body])
                if let entity = try String.fetchOne(db, sql: "DELETE FROM operation WHERE id = ? RETURNING entity", arguments: [entry.id]) {
                    touched.insert(entity)
                }
            }
            // An entity with nothing left (a create of a refused type) goes;
            // the types recorded are those of the creations that stayed.
            for entity in touched {
                if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM operation WHERE entity = ?", arguments: [entity]) == 0 {
                    try db.execute(sql: "DELETE FROM entity WHERE id = ?", arguments: [entity])
                    try db.execute(sql: "DELETE FROM conflict WHERE entity = ?", arguments: [entity])
                } else {
                    try db.execute(sql: "UPDATE entity SET entityType = NULL WHERE id = ?", arguments: [entity])
                }
            }
            var merged: [ConflictLog.MergedEntity] = []
            for entity in touched.sorted() {
                guard let id = EntityID(entity), try OperationLog.entity(id, codec: codec, in: db) != nil else { continue }
                let entityState = try ConflictLog.merge(id, codec: codec, in: db)
                merged.append(entityState)
                if entity == caseID { _ = try CaseAccess.refreshMembership(of: id, state: entityState.state, in: db) }
            }
            _ = try ConflictLog.refresh(merged, in: db)
            var reasons: [String: JSONValue] = [:]
            for entry in refused { reasons[entry.code] = .integer((reasons[entry.code]?.integerValue ?? 0) + 1) }
            try AuditLog.record(.operationsQuarantined, actor: nil, device: nil, caseID: caseID,
                                detail: ["operations": .array(refused.map { .string($0.id) }), "reasons": .object(reasons)],
                                at: now, in: db)
        }
    }

    /// Which of the given operation ids were set aside.
    static func quarantinedIDs(among ids: Set<OperationID>, in db: Database) throws -> Set<OperationID> {
        guard !ids.isEmpty else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT 1 FROM quarantinedOperation WHERE id = ?")
        return try ids.filter { try Bool.fetchOne(statement, arguments: [$0.description]) == true }
    }
}
