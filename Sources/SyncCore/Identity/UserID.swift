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
