/// An identifier made of 128 random bits (a replica or an entity). The two
/// kinds share everything but their meaning, which the type keeps apart.
public protocol RandomIdentifier: Hashable, Comparable, Sendable, CustomStringConvertible {
    var raw: Identifier128 { get }
    init(raw: Identifier128)
}

extension RandomIdentifier {
    public init<R: RandomSource>(using random: inout R) {
        self.init(raw: Identifier128(using: &random))
    }

    /// Parses the 32-digit lowercase hexadecimal form.
    public init?(_ text: some StringProtocol) {
        guard let raw = Identifier128(hex: Substring(text)) else { return nil }
        self.init(raw: raw)
    }

    public var description: String { raw.hex }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }
}
