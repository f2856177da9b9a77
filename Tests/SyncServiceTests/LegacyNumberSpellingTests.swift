import Foundation
import GRDB
@testable import SyncService
import SyncCore
import SyncPersistence
import Testing

/// Protocol.md §4: the canonical spelling of numbers that are not integers
/// changed to RFC 8785's. A body stored before keeps the old spelling; the
/// same operation sent again (a retry after the upgrade) is the operation
/// held, not a `conflicting-duplicate`.
@Suite struct LegacyNumberSpellingTests {
    static let caseID = "1" + String(repeating: "0", count: 31)

    static func operation(value: String) throws -> SyncCore.Operation {
        let text = """
            {"author":"anna","case":"\(caseID)","entity":"\(caseID)","field":"age","id":"0180000000000000-\(String(repeating: "2", count: 32))",\
            "kind":"set","predecessors":[],"seq":1,"value":\(value),"version":1}
            """
        return try OperationCodec().decode(Data(text.utf8))
    }

    @Test func aBodyStoredInTheLegacySpellingIsTheSameOperationSentAgain() throws {
        let queue = try DatabaseQueue()
        try ServerMigrations.migrator.migrate(queue)
        let operation = try Self.operation(value: "1e-7")
        let canonical = OperationCodec().encode(operation)
        let legacy = Data(String(decoding: canonical, as: UTF8.self).replacingOccurrences(of: "1e-7", with: "1e-07").utf8)
        #expect(legacy != canonical)
        try queue.write { db in
            _ = try OperationLog.apply([operation], receivedAt: 1, codec: OperationCodec(), in: db)
            try db.execute(sql: "UPDATE operation SET body = ?", arguments: [legacy])
        }
        let entries = try queue.write { db in
            try OperationLog.apply([operation], receivedAt: 2, codec: OperationCodec(), in: db)
        }
        #expect(entries.map(\.isNew) == [false])
    }

    @Test func anotherValueIsStillAConflictingDuplicate() throws {
        let queue = try DatabaseQueue()
        try ServerMigrations.migrator.migrate(queue)
        try queue.write { db in _ = try OperationLog.apply([try Self.operation(value: "1e-7")], receivedAt: 1, codec: OperationCodec(), in: db) }
        #expect(throws: OperationError.self) {
            try queue.write { db in _ = try OperationLog.apply([try Self.operation(value: "2e-7")], receivedAt: 2, codec: OperationCodec(), in: db) }
        }
    }
}
