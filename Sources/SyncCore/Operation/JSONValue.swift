/// A field value as it travels and is stored: any JSON value. The merge keeps
/// values in this form whatever they hold; the write rules (`CaseworkSchema`)
/// decide which forms a field accepts.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    /// Integral numbers are kept apart from fractional ones so that dates as
    /// day numbers or ages survive a round trip exactly.
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    public var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// A member of an object, or nil (also when this is not an object).
    public func member(_ name: String) -> JSONValue? {
        if case .object(let members) = self { members[name] } else { nil }
    }

    /// The items of an array, or none (also when this is not an array).
    public var arrayValue: [JSONValue] {
        if case .array(let items) = self { items } else { [] }
    }
}

/// The same value exactly when the canonical encodings are the same bytes
/// (Protocol.md §4): strings are compared by their Unicode scalars, not by
/// Swift's canonical equivalence, under which a precomposed "é" equals "e"
/// and a combining accent. Otherwise two concurrent sets of such texts would
/// be one value to the merge here and two to the server's byte comparison
/// and to any client written from the protocol.
extension JSONValue: Hashable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.integer(let a), .integer(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.string(let a), .string(let b)): a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): a == b
        case (.object(let a), .object(let b)):
            // Member names too, by scalars: a dictionary finds a key by
            // canonical equivalence.
            a.count == b.count && a.allSatisfy { name, value in
                guard let index = b.index(forKey: name) else { return false }
                return b[index].key.utf8.elementsEqual(name.utf8) && b[index].value == value
            }
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let flag): hasher.combine(1 as UInt8); hasher.combine(flag)
        case .integer(let number): hasher.combine(2 as UInt8); hasher.combine(number)
        case .number(let number): hasher.combine(3 as UInt8); hasher.combine(number)
        case .string(let text): hasher.combine(4 as UInt8); Self.hashScalars(of: text, into: &hasher)
        case .array(let items): hasher.combine(5 as UInt8); hasher.combine(items)
        case .object(let members):
            hasher.combine(6 as UInt8)
            // Independent of the dictionary's order, as equality is.
            var combined = 0
            for (name, value) in members {
                var member = Hasher()
                Self.hashScalars(of: name, into: &member)
                member.combine(value)
                combined ^= member.finalize()
            }
            hasher.combine(members.count)
            hasher.combine(combined)
        }
    }

    private static func hashScalars(of text: String, into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(text.utf8.count)
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = JSONValue(double: value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension JSONValue {
    /// A number read as a double: an integer when it is whole and fits 64
    /// bits, so that one number has one case (and one canonical form,
    /// Protocol.md §4) however it was written.
    init(double value: Double) {
        if value.rounded() == value, let integer = Int64(exactly: value) {
            self = .integer(integer)
        } else {
            self = .number(value)
        }
    }
}
