/// The 128-bit random value behind replica and entity ids, written as 32 lowercase
/// hexadecimal digits. Fixed width keeps the text form sortable in the same order
/// as the numeric form, which SQLite indexes rely on.
public struct Identifier128: Hashable, Comparable, Sendable {
    @usableFromInline var high: UInt64
    @usableFromInline var low: UInt64

    @inlinable init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init<R: RandomSource>(using random: inout R) {
        self.init(high: random.next(), low: random.next())
        // An all-zero id is reserved so that a default value is never mistaken for a real one.
        if high == 0 && low == 0 { low = 1 }
    }

    init?(hex text: Substring) {
        guard text.utf8.count == 32 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        var index = 0
        for byte in text.utf8 {
            guard let nibble = Hex.value(of: byte) else { return nil }
            if index < 16 { high = high << 4 | UInt64(nibble) } else { low = low << 4 | UInt64(nibble) }
            index += 1
        }
        if high == 0 && low == 0 { return nil }
        self.init(high: high, low: low)
    }

    var hex: String { Hex.fixedWidth(high, digits: 16) + Hex.fixedWidth(low, digits: 16) }

    @inlinable public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// The bits are random already: one word is enough to feed the hasher.
    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(high ^ low)
    }
}

enum Hex {
    /// Lowercase only: one spelling per id, so that text comparison and equality agree.
    static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    static func fixedWidth(_ value: UInt64, digits: Int) -> String {
        let digitsTable: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: digits) { buffer in
            var remaining = value
            for position in stride(from: digits - 1, through: 0, by: -1) {
                buffer[position] = digitsTable[Int(remaining & 0xf)]
                remaining >>= 4
            }
            return digits
        }
    }

    static func parse(_ text: Substring, digits: Int) -> UInt64? {
        guard text.utf8.count == digits else { return nil }
        var result: UInt64 = 0
        for byte in text.utf8 {
            guard let nibble = Hex.value(of: byte) else { return nil }
            result = result << 4 | UInt64(nibble)
        }
        return result
    }
}
