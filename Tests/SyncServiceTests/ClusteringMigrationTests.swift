import Foundation
import GRDB
@testable import SyncService
import SyncCore
import SyncPersistence
import SyncTestSupport
import Testing

/// The migration that clusters the operation log by case renumbers every
/// position. A pull cursor or a push receipt translated wrong would make a
/// laptop skip operations, or get them twice; new pushes must follow on.
@Suite struct ClusteringMigrationTests {
    /// Stored the way the log before the migration stored them: positions in
    /// arrival order across all cases.
    static func storeTheOldWay(_ operations: [SyncCore.Operation], in db: Database) throws {
        let codec = OperationCodec()
        for operation in operations {
            try db.execute(sql: """
                INSERT INTO operation (id, replica, seq, caseID, entity, receivedAt, body) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, arguments: [operation.id.description, operation.replica.description, Int64(operation.seq),
                                 operation.caseID.description, operation.entity.description, 1, codec.encode(operation)])
            try db.execute(sql: "INSERT INTO entity (id, caseID) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           arguments: [operation.entity.description, operation.caseID.description])
        }
    }

    @Test func cursorsReceiptsAndNewPushesFollowTheRenumberedLog() throws {
        let history = HistoryGenerator.generate(seed: 11, steps: 150).operations
        let split = history.count * 2 / 3
        let (before, after) = (Array(history[..<split]), Array(history[split...]))
        let queue = try DatabaseQueue()
        try ServerMigrations.migrator.migrate(queue, upTo: "review sessions v1")

        // The old log, a cursor in the middle of each case, and a receipt.
        let old = try queue.write { db -> (order: [String: [String]], cursor: [String: Int64], afterCursor: [String: [String]], receipt: [String: Int64]) in
            try Self.storeTheOldWay(before, in: db)
            var order: [String: [String]] = [:]
            var positions: [String: [(Int64, String)]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT position, id, caseID FROM operation ORDER BY position") {
                order[row["caseID"], default: []].append(row["id"])
                positions[row["caseID"], default: []].append((row["position"], row["id"]))
            }
            var cursor: [String: Int64] = [:]
            var afterCursor: [String: [String]] = [:]
            for (caseID, list) in positions {
                let middle = list.count / 2
                cursor[caseID] = middle == 0 ? 0 : list[middle - 1].0
                afterCursor[caseID] = list[middle...].map(\.1)
            }
            try db.execute(sql: "INSERT INTO pullCursor (id, device, createdAt, positions) VALUES ('c1', 'dev', 1, ?)",
                           arguments: [ServerDatabase.encodePositions(cursor)])
            let receipted = Array(positions.values.flatMap { $0 }.prefix(5))
            let receipt: JSONValue = ["batch": "b1", "operations": .array(receipted.map { ["id": .string($0.1), "position": .integer($0.0)] })]
            try db.execute(sql: "INSERT INTO pushReceipt (device, batch, receipt, createdAt) VALUES ('dev', 'b1', ?, 1)",
                           arguments: [OperationCodec.canonicalBytes(receipt)])
            return (order, cursor, afterCursor, Dictionary(uniqueKeysWithValues: receipted.map { ($0.1, $0.0) }))
        }
        #expect(old.order.count > 1, "the history spans several cases")

        // Up to the clustering only: the generated history holds operations
        // the later quarantine would move out (OperationQuarantineTests).
        try ServerMigrations.migrator.migrate(queue, upTo: "v3 entity types")

        try queue.read { db in
            #expect(try OperationLog.count(in: db) == old.order.values.map(\.count).reduce(0, +))
            // Each case whole, in its old order, from its start...
            for (caseID, ids) in old.order {
                let page = try OperationLog.page(ofCase: EntityID(caseID)!, after: 0, limit: 10_000, in: db)
                #expect(try page.map { try Self.id(of: $0.body) } == ids, "case \(caseID)")
            }
            // ...and from the translated cursor, exactly what came after it.
            let stored = try Data.fetchOne(db, sql: "SELECT positions FROM pullCursor WHERE id = 'c1'")!
            let cursor = try ServerDatabase.decodePositions(stored)
            #expect(Set(cursor.keys) == Set(old.cursor.keys))
            for (caseID, position) in cursor {
                let page = try OperationLog.page(ofCase: EntityID(caseID)!, after: position, limit: 10_000, in: db)
                #expect(try page.map { try Self.id(of: $0.body) } == old.afterCursor[caseID]!, "case \(caseID) after the cursor")
            }
            // The receipt names each operation's new position.
            let receipt = try OperationCodec.parse(try Data.fetchOne(db, sql: "SELECT receipt FROM pushReceipt")!, path: "receipt")
            guard case .array(let listed)? = receipt.member("operations") else { Issue.record("no operations"); return }
            #expect(listed.count == old.receipt.count)
            for entry in listed {
                let id = try #require(entry.member("id")?.stringValue)
                guard case .integer(let position)? = entry.member("position") else { Issue.record("no position"); continue }
                #expect(try String.fetchOne(db, sql: "SELECT id FROM operation WHERE position = ?", arguments: [position]) == id)
            }
            #expect(try db.tableExists("positionRenumbering") == false)
            // Each case's counter is where its operations end.
            for row in try Row.fetchAll(db, sql: "SELECT caseID, cluster, last FROM logCase") {
                let (caseID, cluster, last): (String, Int64, Int64) = (row[0], row[1], row[2])
                #expect(Int64(old.order[caseID]?.count ?? 0) == last, "case \(caseID)")
                #expect(try Int64.fetchOne(db, sql: "SELECT MAX(position) FROM operation WHERE caseID = ?", arguments: [caseID]) == cluster << 32 | last)
            }
        }

        // New operations follow each case's migrated ones, also when the batch
        // repeats some that are held already.
        let entries = try queue.write { db in
            try OperationLog.apply(Array(before.suffix(3)) + after, receivedAt: 2, codec: OperationCodec(), in: db)
        }
        #expect(entries.prefix(3).allSatisfy { !$0.isNew })
        let fresh = Set(entries.filter(\.isNew).map(\.id.description))
        try queue.read { db in
            for caseID in Set(history.map(\.caseID.description)) {
                let page = try OperationLog.page(ofCase: EntityID(caseID)!, after: 0, limit: 10_000, in: db)
                let ids = try page.map { try Self.id(of: $0.body) }
                let migrated = old.order[caseID] ?? []
                #expect(Array(ids.prefix(migrated.count)) == migrated, "case \(caseID): the migrated operations first")
                #expect(ids.dropFirst(migrated.count).allSatisfy(fresh.contains), "case \(caseID): then the new ones")
                #expect(page.map(\.position) == page.map(\.position).sorted())
            }
        }
    }

    /// A row that `logCase` does not count (an earlier version's server
    /// writing after the migration) makes the next batch of that case fail,
    /// instead of dropping its operation; and it is never sent as the case's.
    @Test func aPositionThatIsTakenFailsTheBatchLoudly() throws {
        let history = HistoryGenerator.generate(seed: 5, steps: 40).operations
        let queue = try DatabaseQueue()
        try ServerMigrations.migrator.migrate(queue)
        let firstCase = history[0].caseID
        let ofFirstCase = history.filter { $0.caseID == firstCase }
        try queue.write { db in _ = try OperationLog.apply([ofFirstCase[0]], receivedAt: 1, codec: OperationCodec(), in: db) }
        try queue.write { db in
            let (cluster, last): (Int64, Int64) = try Row.fetchOne(db, sql: "SELECT cluster, last FROM logCase").map { ($0[0], $0[1]) }!
            try db.execute(sql: """
                INSERT INTO operation (position, id, replica, seq, caseID, entity, receivedAt, body)
                VALUES (?, 'stray', 'other', 1, 'another-case', 'e', 1, x'7b7d')
                """, arguments: [cluster << 32 | (last + 1)])
        }
        #expect(throws: DatabaseError.self) {
            try queue.write { db in _ = try OperationLog.apply([ofFirstCase[1]], receivedAt: 2, codec: OperationCodec(), in: db) }
        }
        let page = try queue.read { db in try OperationLog.page(ofCase: firstCase, after: 0, limit: 100, in: db) }
        #expect(try page.map { try Self.id(of: $0.body) } == [ofFirstCase[0].id.description])
    }

    static func id(of body: Data) throws -> String {
        try #require(try OperationCodec.parse(body, path: "body").member("id")?.stringValue)
    }
}
