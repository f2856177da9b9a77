/// A hybrid logical clock reading: milliseconds since the Unix epoch in the high
/// 48 bits and a logical counter in the low 16 bits. Packed into one integer so
/// that comparing two readings is one integer comparison.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public static let counterBits = 16
    public static let maximumCounter = UInt64(1) << counterBits - 1
    public static let maximumMilliseconds = UInt64(1) << (64 - counterBits) - 1
    /// 2020-01-01T00:00:00Z. No replica of this system existed earlier, so an older
    /// reading can only come from a broken clock or a forged operation.
    public static let earliestMilliseconds: UInt64 = 1_577_836_800_000
    /// 2100-01-01T00:00:00Z. A clock this far ahead is not drifting, it is broken;
    /// ordinary drift within this range is handled by `HybridLogicalClock.observe`.
    public static let latestMilliseconds: UInt64 = 4_102_444_800_000
    /// The times a valid operation id may carry (Protocol.md §3).
    public static let validMilliseconds = earliestMilliseconds..<latestMilliseconds

    /// Whether an operation id may carry this reading.
    public var isValid: Bool { Self.validMilliseconds.contains(milliseconds) }

    @inlinable public init(rawValue: UInt64) { self.rawValue = rawValue }

    public init(milliseconds: UInt64, counter: UInt64) {
        precondition(milliseconds <= Self.maximumMilliseconds && counter <= Self.maximumCounter)
        rawValue = milliseconds << UInt64(Self.counterBits) | counter
    }

    public var milliseconds: UInt64 { rawValue >> UInt64(Self.counterBits) }
    public var counter: UInt64 { rawValue & Self.maximumCounter }

    /// Sixteen lowercase hexadecimal digits, sortable as text.
    public var description: String { Hex.fixedWidth(rawValue, digits: 16) }

    init?(hex: Substring) {
        guard let value = Hex.parse(hex, digits: 16) else { return nil }
        rawValue = value
    }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
