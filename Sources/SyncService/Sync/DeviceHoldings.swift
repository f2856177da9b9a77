import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// What the server holds of one device's own operations (Protocol.md §10.2,
/// `GET /v1/devices/current`): the sequence numbers, as ranges.
///
/// A laptop clears an operation from its outbox once a receipt lists it. If
/// the server is then restored from a backup taken before that receipt, the
/// operation is gone from the server but not from the laptop's log: the
/// laptop compares this statement with what it was acknowledged, and sends
/// the difference again. An operation set aside at an upgrade
/// (`quarantinedOperation`) counts as held: the server has decided on it,
/// and sending it again would only be refused.
struct DeviceHoldings: Sendable, Equatable {
    /// Ascending, disjoint and not adjacent.
    let held: [ClosedRange<UInt64>]

    init(held: [ClosedRange<UInt64>]) {
        self.held = held
    }

    /// Merges sequence numbers (any order, repeats allowed) into ranges.
    init(contiguousThrough contiguous: UInt64, above: some Sequence<UInt64>) {
        var ranges: [ClosedRange<UInt64>] = contiguous > 0 ? [1...contiguous] : []
        for seq in Set(above).sorted() where seq > contiguous {
            if let last = ranges.last, seq <= last.upperBound { continue }
            if let last = ranges.last, seq == last.upperBound + 1 {
                ranges[ranges.count - 1] = last.lowerBound...seq
            } else {
                ranges.append(seq...seq)
            }
        }
        held = ranges
    }

    static func read(for replica: ReplicaID, in db: Database) throws -> DeviceHoldings {
        let knowledge = try OperationLog.knowledge(of: replica, in: db)
        let contiguous = knowledge.contiguous[replica, default: 0]
        var above = Array(knowledge.extra[replica] ?? [])
        // Quarantined operations keep only their body; the id ends with the
        // replica (Protocol.md §2). Few rows, read at an upgrade's pace.
        for body in try Data.fetchAll(
            db, sql: "SELECT body FROM quarantinedOperation WHERE id LIKE ?", arguments: ["%-" + replica.description]
        ) {
            // A body that is not even JSON was quarantined as `undecodable`:
            // its sequence number cannot be known, and a laptop that still
            // holds it could not read it either.
            if case .integer(let seq)? = (try? OperationCodec.parse(body, path: "body"))?.member("seq"), seq > 0 {
                above.append(UInt64(seq))
            }
        }
        return DeviceHoldings(contiguousThrough: contiguous, above: above)
    }
}

extension ServerDatabase {
    /// The signed-in device's state: who it is, and which of its operations
    /// the server holds.
    func deviceState(_ device: AuthenticatedDevice) async throws -> DeviceState {
        let holdings = try await writer.read { db in try DeviceHoldings.read(for: device.replica, in: db) }
        return DeviceState(device: device.replica, user: device.user.name, role: device.role.rawValue, held: holdings.held, serverTime: now)
    }
}
