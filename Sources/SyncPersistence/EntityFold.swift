import Foundation
import GRDB
import SyncCore

/// Entities rebuilt from their operations with SyncCore's merge, with the
/// time this replica received each operation: the log's one fold. The write
/// rules, the conflict log, the review pages and the laptop read entities
/// through it. The merge is order-independent, so operations may come in any
/// order, as stored or as just decoded.
public struct EntityFold: Sendable {
    public private(set) var states: [EntityID: EntityState] = [:]
    /// When each operation was stored: the server's clock on the server, the
    /// laptop's on a laptop.
    public private(set) var receivedAt: [OperationID: UInt64] = [:]

    public init() {}

    /// Operations received together, already decoded.
    public mutating func add(_ operations: some Sequence<SyncCore.Operation>, receivedAt time: UInt64) {
        for operation in operations { add(operation, receivedAt: time) }
    }

    /// Rows of the log, each opened with `bodies` and decoded with `codec`.
    public mutating func add(
        _ rows: some Cursor<StoredOperation>, codec: OperationCodec, bodies: some OperationBodyCodec
    ) throws {
        while let row = try rows.next() {
            add(try OperationLog.decode(try bodies.open(row.body), codec: codec), receivedAt: row.receivedAt)
        }
    }

    private mutating func add(_ operation: SyncCore.Operation, receivedAt time: UInt64) {
        states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
        receivedAt[operation.id] = time
    }

    /// Every entity, in order of id.
    public var entities: [EntityState] { states.values.sorted { $0.id < $1.id } }
}
