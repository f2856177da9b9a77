/// Globally unique, totally ordered identity of an operation: the author replica's
/// clock reading, then the replica id. A replica's clock never repeats a reading,
/// and no two replicas share an id, so no two operations share an `OperationID`.
///
/// Text form: `<16 hex digits of the clock>-<32 hex digits of the replica>`, which
/// sorts as text in the same order as the values.
public struct OperationID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let timestamp: HLCTimestamp
    public let replica: ReplicaID

    @inlinable public init(timestamp: HLCTimestamp, replica: ReplicaID) {
        self.timestamp = timestamp
        self.replica = replica
    }

    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        guard text.utf8.count == 49,
              let dash = text.firstIndex(of: "-"),
              let timestamp = HLCTimestamp(hex: text[..<dash]),
              let replica = ReplicaID(text[text.index(after: dash)...])
        else { return nil }
        self.init(timestamp: timestamp, replica: replica)
    }

    public var description: String { "\(timestamp)-\(replica)" }

    /// One word to the hasher: the replica's random bits mixed with the clock.
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(timestamp.rawValue &* 0x9E37_79B9_7F4A_7C15 ^ replica.raw.high ^ replica.raw.low)
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool {
        if lhs.timestamp != rhs.timestamp { return lhs.timestamp < rhs.timestamp }
        return lhs.replica < rhs.replica
    }
}
