import Foundation

/// The answer to `GET /v1/devices/current` (Protocol.md §10.2): the signed-in
/// device, and which of its own operations the server holds.
public struct DeviceState: Sendable, Equatable {
    public var device: ReplicaID
    public var user: String
    /// The user's role by name (`UserRole`): open, since a later server
    /// may name a role this version does not know (Protocol.md §10.1).
    public var role: String
    /// Sequence numbers of this device's operations the server holds:
    /// ascending, disjoint and not adjacent.
    public var held: [ClosedRange<UInt64>]
    public var serverTime: Int64

    public init(device: ReplicaID, user: String, role: String, held: [ClosedRange<UInt64>], serverTime: Int64) {
        self.device = device
        self.user = user
        self.role = role
        self.held = held
        self.serverTime = serverTime
    }

    public func encoded() -> Data {
        OperationCodec.canonicalBytes([
            "device": .string(device.description), "user": .string(user), "role": .string(role),
            "held": .array(held.map { [.integer(Int64($0.lowerBound)), .integer(Int64($0.upperBound))] }),
            "serverTime": .integer(serverTime),
        ])
    }

    public static func decode(_ data: Data) throws(WireError) -> DeviceState {
        let state = try WireObject(WireObject.parse(data), path: nil, expected: "a device state must be a JSON object",
                                   allowed: WireObject.answerMembers)
        var held: [ClosedRange<UInt64>] = []
        for (index, item) in try state.array("held").enumerated() {
            guard case .array(let pair) = item, pair.count == 2, case .integer(let first) = pair[0], case .integer(let last) = pair[1],
                  first >= 1, first <= last, held.last.map({ first > Int64($0.upperBound) + 1 }) ?? true
            else {
                throw WireError(.wrongType, "a held range must be [first, last], ascending, disjoint and not adjacent",
                                path: "held[\(index)]")
            }
            held.append(UInt64(first)...UInt64(last))
        }
        return DeviceState(
            device: try state.identifier("device", "a replica id (32 lowercase hex digits)", ReplicaID.init),
            user: try state.string("user"), role: try state.string("role"), held: held, serverTime: try state.integer("serverTime"))
    }
}
