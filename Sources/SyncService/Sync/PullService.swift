import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// A page of a pull, ready to send: the operations are the stored canonical
/// bytes, never decoded and re-encoded.
public struct PullPage: Sendable {
    public let cursor: String
    public let operations: [Data]
    public let removedCases: [EntityID]
    public let hasMore: Bool
    public let serverTime: Int64

    /// The response body, written around the stored operation bytes.
    public var body: Data {
        var data = Data()
        data.append(contentsOf: #"{"cursor":""#.utf8)
        data.append(contentsOf: cursor.utf8)
        data.append(contentsOf: #"","hasMore":"#.utf8)
        data.append(contentsOf: (hasMore ? "true" : "false").utf8)
        data.append(contentsOf: #","operations":["#.utf8)
        for (index, operation) in operations.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(operation)
        }
        data.append(contentsOf: #"],"removedCases":["#.utf8)
        data.append(contentsOf: removedCases.map { "\"\($0)\"" }.joined(separator: ",").utf8)
        data.append(contentsOf: #"],"serverTime":"#.utf8)
        data.append(contentsOf: String(serverTime).utf8)
        data.append(UInt8(ascii: "}"))
        return data
    }
}

extension ServerDatabase {
    static let cursorsKeptPerDevice = 4

    /// The next page for the device after `cursor` (nil: from the beginning).
    ///
    /// A cursor names, per case, the last position the device was sent. It is
    /// stored server-side and only the client moves from one cursor to the next
    /// (after storing a page), so a lost response is simply pulled again, and
    /// no operation is skipped. Each case is read through its (case, position)
    /// index, so a pull costs what it returns, not what the database holds. A
    /// case the device can no longer read is reported in `removedCases` for as
    /// long as the client keeps presenting a cursor that contains it.
    public func pull(after cursor: String?, limit: Int, for device: AuthenticatedDevice) async throws -> PullPage {
        let at = now
        return try await writer.write { db in
            var positions: [String: Int64] = [:]
            if let cursor {
                guard let record = try PullCursorRecord.fetchOne(db, key: cursor), record.device == device.replica.description else {
                    throw Problem(.conflict, code: "unknown-cursor", title: "Unknown cursor",
                                  detail: "cursor \(cursor) is unknown to this device (or expired); pull without a cursor to start over",
                                  extensions: ["path": "cursor"])
                }
                positions = try JSONDecoder().decode([String: Int64].self, from: record.positions)
            }
            let readable = try CaseAccess.readableCases(for: device, in: db)
            let readableSet = Set(readable.map(\.description))
            let removed = positions.keys.filter { !readableSet.contains($0) }.sorted()
            for caseID in removed { positions.removeValue(forKey: caseID) }

            var operations: [Data] = []
            var perCase: [String: Int] = [:]
            var remaining = limit
            for caseID in readable where remaining > 0 {
                let key = caseID.description
                let page = try OperationLog.page(ofCase: caseID, after: positions[key] ?? 0, limit: remaining, in: db)
                guard let last = page.last else { continue }
                operations.append(contentsOf: page.map(\.body))
                positions[key] = last.position
                perCase[key] = page.count
                remaining -= page.count
            }
            let id = Self.newCursorID()
            try PullCursorRecord(id: id, device: device.replica.description, createdAt: at,
                                 positions: try JSONEncoder().encode(positions)).insert(db)
            try db.execute(sql: """
                DELETE FROM pullCursor WHERE device = ? AND id NOT IN
                (SELECT id FROM pullCursor WHERE device = ? ORDER BY createdAt DESC, rowid DESC LIMIT ?) AND id IS NOT ?
                """, arguments: [device.replica.description, device.replica.description, Self.cursorsKeptPerDevice, cursor])

            for (caseID, count) in perCase.sorted(by: { $0.key < $1.key }) {
                try AuditLog.record(.pull, actor: device.user.name, device: device.replica.description, caseID: caseID,
                                    detail: ["operations": .integer(Int64(count))], at: at, in: db)
            }
            for caseID in removed {
                try AuditLog.record(.accessRemoved, actor: device.user.name, device: device.replica.description, caseID: caseID,
                                    detail: ["purge": .bool(true)], at: at, in: db)
            }
            return PullPage(cursor: id, operations: operations, removedCases: removed.compactMap(EntityID.init),
                            hasMore: remaining == 0, serverTime: at)
        }
    }

    static func newCursorID() -> String {
        var random = SystemRandomSource()
        return "c" + EntityID(using: &random).description
    }
}
