import Foundation

/// The `201` answer to a sign-in (Protocol.md §10.2): the device the laptop
/// now is, and its token, shown this once.
public struct DeviceSignInAnswer: Sendable, Equatable {
    public var device: ReplicaID
    public var token: String
    public var user: String
    /// The user's role by name (`UserRole`): open, since a later server
    /// may name a role this version does not know (Protocol.md §10.1).
    public var role: String
    public var serverTime: Int64

    public init(device: ReplicaID, token: String, user: String, role: String, serverTime: Int64) {
        self.device = device
        self.token = token
        self.user = user
        self.role = role
        self.serverTime = serverTime
    }

    public func encoded() -> Data {
        OperationCodec.canonicalBytes([
            "device": .string(device.description), "token": .string(token), "user": .string(user),
            "role": .string(role), "serverTime": .integer(serverTime),
        ])
    }

    public static func decode(_ data: Data) throws(WireError) -> DeviceSignInAnswer {
        let answer = try WireObject(WireObject.parse(data), path: nil, expected: "a sign-in answer must be a JSON object",
                                    allowed: WireObject.answerMembers)
        return DeviceSignInAnswer(
            device: try answer.identifier("device", "a replica id (32 lowercase hex digits)", ReplicaID.init),
            token: try answer.string("token"), user: try answer.string("user"), role: try answer.string("role"),
            serverTime: try answer.integer("serverTime"))
    }
}
