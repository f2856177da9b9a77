/// Identity of one replica: a field laptop, or the office server. Chosen at random
/// when the replica is first set up and never reused, so that two replicas never
/// mint the same operation id.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    @usableFromInline var raw: Identifier128

    public init<R: RandomSource>(using random: inout R) {
        raw = Identifier128(using: &random)
    }

    /// Parses the 32-digit lowercase hexadecimal form.
    public init?(_ text: some StringProtocol) {
        guard let raw = Identifier128(hex: Substring(text)) else { return nil }
        self.raw = raw
    }

    public var description: String { raw.hex }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }
}

/// Identity of a case, note, participant, next step, or of an entity type this
/// version does not know. Random, so replicas create entities offline without
/// coordinating.
public struct EntityID: Hashable, Comparable, Sendable, CustomStringConvertible {
    @usableFromInline var raw: Identifier128

    public init<R: RandomSource>(using random: inout R) {
        raw = Identifier128(using: &random)
    }

    public init?(_ text: some StringProtocol) {
        guard let raw = Identifier128(hex: Substring(text)) else { return nil }
        self.raw = raw
    }

    public var description: String { raw.hex }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }
}

/// A user's login name. Restricted to a small alphabet so that it is safe in
/// logs, file names and URLs without escaping.
public struct UserID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let name: String

    public static let maximumLength = 64

    public init?(_ text: some StringProtocol) {
        let utf8 = text.utf8
        guard (1...Self.maximumLength).contains(utf8.count) else { return nil }
        for (offset, byte) in utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): continue
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                if offset == 0 { return nil }
            default: return nil
            }
        }
        name = String(text)
    }

    public var description: String { name }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.name < rhs.name }
}
