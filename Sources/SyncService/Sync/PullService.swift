import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// A page of a pull, ready to send: the operations are the stored canonical
/// bytes, never decoded and re-encoded.
public struct StoredPullPage: Sendable {
    public let cursor: String
    public let operations: [Data]
    public let removedCases: [EntityID]
    public let hasMore: Bool
    /// Operations still to send after this page (0 when `hasMore` is false):
    /// what a laptop needs to draw a progress bar on a long first sync.
    public let remaining: Int
    public let serverTime: Int64

    /// The response body (`PullPage`), written around the stored operation bytes.
    public var body: Data {
        PullPage.encoded(cursor: cursor, hasMore: hasMore, operations: operations, removedCases: removedCases,
                         remaining: remaining, serverTime: serverTime)
    }
}

extension ServerDatabase {
    static let cursorsKeptPerDevice = 4

    /// The next page for the device after `cursor` (nil: from the beginning).
    ///
    /// A cursor names, per case, the last position the device was sent. It is
    /// stored server-side and only the client moves from one cursor to the next
    /// (after storing a page), so a lost response is simply pulled again, and
    /// no operation is skipped. Each case is read as one range of the log's
    /// key, the case's cluster of positions, from pages that hold that case
    /// only, so a pull costs what it returns, not what the database holds. A
    /// case the device can no longer read is reported in `removedCases` for as
    /// long as the client keeps presenting a cursor that contains it.
    public func pull(after cursor: String?, limit: Int, for device: AuthenticatedDevice) async throws -> StoredPullPage {
        let at = now
        // One transaction on the writer's connection reads the page and stores
        // the new cursor with its audit events. Reading in a snapshot beside
        // the writer was tried: it took load off the writer, but a pull from
        // a database of a million operations then cost 1.6 times one from ten
        // thousand (1.2 on the writer, whose warm page cache holds what the
        // last pulls read); see docs/benchmark-history.md.
        let (page, read) = try await groupCommit.write { db -> (StoredPullPage, PageRead) in
            let read = try Self.readPage(after: cursor, limit: limit, for: device, in: db)
            // Nothing new and nothing lost: the cursor stays as it was, and the
            // pull writes nothing (a device polling an idle caseload is cheap).
            if let cursor, read.operations.isEmpty, read.removed.isEmpty {
                return (StoredPullPage(cursor: cursor, operations: [], removedCases: [], hasMore: false, remaining: 0, serverTime: at), read)
            }
            let id = Self.newCursorID()
            try db.cachedStatement(sql: "INSERT INTO pullCursor (id, device, createdAt, positions) VALUES (?, ?, ?, ?)")
                .execute(arguments: [id, device.replica.description, at, Self.encodePositions(read.positions)])
            try db.cachedStatement(sql: """
                DELETE FROM pullCursor WHERE device = ? AND id NOT IN
                (SELECT id FROM pullCursor WHERE device = ? ORDER BY createdAt DESC, rowid DESC LIMIT ?) AND id IS NOT ?
                """).execute(arguments: [device.replica.description, device.replica.description, Self.cursorsKeptPerDevice, cursor])
            for (caseID, count) in read.perCase.sorted(by: { $0.key < $1.key }) {
                try AuditLog.record(.pull, actor: device.user.name, device: device.replica.description, caseID: caseID,
                                    detail: ["operations": .integer(Int64(count))], at: at, in: db)
            }
            for caseID in read.removed {
                try AuditLog.record(.accessRemoved, actor: device.user.name, device: device.replica.description, caseID: caseID,
                                    detail: ["purge": .bool(true)], at: at, in: db)
            }
            return (StoredPullPage(cursor: id, operations: read.operations, removedCases: read.removed.compactMap(EntityID.init),
                             hasMore: read.hasMore, remaining: 0, serverTime: at), read)
        }
        guard page.hasMore else { return page }
        // Only a full page says what is left (an everyday pull, which ends
        // with what is new, pays nothing for it), and it is counted beside the
        // writer, in a snapshot taken after the page: a progress bar needs no
        // exact figure, and a supervisor's first sync counts across every case.
        let remaining = try await writer.read { db in
            try read.readable.reduce(0) { sum, caseID in
                sum + (try OperationLog.count(ofCase: caseID, after: read.positions[caseID.description] ?? 0, in: db))
            }
        }
        return StoredPullPage(cursor: page.cursor, operations: page.operations, removedCases: page.removedCases,
                        hasMore: true, remaining: remaining, serverTime: at)
    }

    /// What a pull sends, and the cases it looked at.
    private struct PageRead: Sendable {
        var readable: [EntityID]
        var positions: [String: Int64]
        var removed: [String]
        var operations: [Data] = []
        var perCase: [String: Int] = [:]
        var hasMore = false
    }

    private static func readPage(after cursor: String?, limit: Int, for device: AuthenticatedDevice, in db: Database) throws -> PageRead {
        var positions: [String: Int64] = [:]
        if let cursor {
            let stored = try db.cachedStatement(sql: "SELECT positions FROM pullCursor WHERE id = ? AND device = ?")
            guard let record = try Data.fetchOne(stored, arguments: [cursor, device.replica.description]) else {
                throw PullRefusal.unknownCursor(cursor)
            }
            positions = try decodePositions(record)
        }
        let readable = try CaseAccess.readableCases(for: device, in: db)
        let readableSet = Set(readable.map(\.description))
        // From the start: the device may hold cases its earlier cursors name
        // (a cursor it lost, or one a server restored from a backup never
        // issued); those it may no longer read are reported too.
        var sent = Set(positions.keys)
        if cursor == nil {
            for record in try Data.fetchAll(db.cachedStatement(sql: "SELECT positions FROM pullCursor WHERE device = ?"),
                                            arguments: [device.replica.description]) {
                sent.formUnion(try decodePositions(record).keys)
            }
        }
        let removed = sent.filter { !readableSet.contains($0) }.sorted()
        for caseID in removed { positions.removeValue(forKey: caseID) }

        var read = PageRead(readable: readable, positions: positions, removed: removed)
        var room = limit
        for caseID in readable where room > 0 {
            let key = caseID.description
            let page = try OperationLog.page(ofCase: caseID, after: read.positions[key] ?? 0, limit: room, in: db)
            guard let last = page.last else { continue }
            read.operations.append(contentsOf: page.map(\.body))
            read.positions[key] = last.position
            read.perCase[key] = page.count
            room -= page.count
        }
        read.hasMore = room == 0
        return read
    }

    /// A cursor's positions are stored as a canonical JSON object: case id to position.
    static func encodePositions(_ positions: [String: Int64]) -> Data {
        OperationCodec.canonicalBytes(.object(positions.mapValues(JSONValue.integer)))
    }

    static func decodePositions(_ data: Data) throws -> [String: Int64] {
        guard case .object(let object) = try OperationCodec.parse(data, path: "positions") else {
            throw StoreCorruption(detail: "a pull cursor's positions are not a JSON object")
        }
        return try object.mapValues { value in
            guard case .integer(let position) = value else {
                throw StoreCorruption(detail: "a pull cursor's position is not an integer")
            }
            return position
        }
    }

    static func newCursorID() -> String {
        var random = SystemRandomSource()
        return "c" + EntityID(using: &random).description
    }
}
