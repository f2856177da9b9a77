import Foundation

/// Writes JSON in the canonical form of Protocol.md §4: object keys sorted
/// byte-wise, no insignificant white space, `/` unescaped, non-ASCII as UTF-8,
/// only `"`, `\` and control characters escaped, and numbers as RFC 8785
/// (JCS) writes them. Apart from numbers that are not integers, the output is
/// byte for byte what Foundation's `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` produces (a test holds it to that), written
/// directly into a buffer because encoding is on the hot path of every store.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) {
        bytes.reserveCapacity(capacity)
    }

    var data: Data { Data(bytes) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func byte(_ byte: UInt8) { bytes.append(byte) }

    /// `"key":` — keys passed here are plain ASCII names.
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let digits: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    mutating func value(_ value: JSONValue) {
        switch value {
        case .null: raw("null")
        case .bool(let flag): flag ? raw("true") : raw("false")
        case .integer(let number): integer(number)
        case .number(let number):
            // A whole number within 64 bits is written exactly, as the parser
            // would read it back (Protocol.md §4), not to 17 digits.
            if number.rounded() == number, let whole = Int64(exactly: number) {
                integer(whole)
            } else {
                bytes.append(contentsOf: Self.ecmaScriptText(of: number).utf8)
            }
        case .string(let text): string(text)
        case .array(let items):
            byte(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                self.value(item)
            }
            byte(UInt8(ascii: "]"))
        case .object(let members):
            byte(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                string(key)
                byte(UInt8(ascii: ":"))
                self.value(members[key]!)
            }
            byte(UInt8(ascii: "}"))
        }
    }

    /// ECMAScript's Number::toString, the number form of RFC 8785: the
    /// shortest digits that read back as the same double, written plainly
    /// from 1e-6 up to below 1e21 and with an exponent (`1e+21`, `1.5e-7`)
    /// outside that. `-0` is `0`. Not finite: `null` (the parser never reads
    /// one, and JSON has no form for it).
    static func ecmaScriptText(of number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == 0 { return "0" }
        // Swift's description already has the shortest round-trip digits (the
        // closest when several are as short, as ECMAScript asks); only their
        // layout differs ("1e-07", "1e+16", "100.0").
        let magnitude = number.magnitude.description
        let mantissa: Substring
        var pointPosition: Int
        if let e = magnitude.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = magnitude[..<e]
            pointPosition = Int(magnitude[magnitude.index(after: e)...])!
        } else {
            mantissa = Substring(magnitude)
            pointPosition = 0
        }
        let integerPart = mantissa.prefix { $0 != "." }
        var digits = Array(mantissa.filter { $0 != "." })
        pointPosition += integerPart.count
        while digits.first == "0" { digits.removeFirst(); pointPosition -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let k = digits.count, n = pointPosition
        let text: String
        if k <= n && n <= 21 {
            text = String(digits) + String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            text = String(digits[..<n]) + "." + String(digits[n...])
        } else if -6 < n && n <= 0 {
            text = "0." + String(repeating: "0", count: -n) + String(digits)
        } else {
            let exponent = n - 1
            let sign = exponent < 0 ? "-" : "+"
            let head = k == 1 ? String(digits) : String(digits[0]) + "." + String(digits[1...])
            text = head + "e" + sign + String(exponent.magnitude)
        }
        return number < 0 ? "-" + text : text
    }

    mutating func ids(_ ids: [OperationID]) {
        byte(UInt8(ascii: "["))
        for (index, id) in ids.enumerated() {
            if index > 0 { byte(UInt8(ascii: ",")) }
            operationID(id)
        }
        byte(UInt8(ascii: "]"))
    }

    mutating func operationID(_ id: OperationID) {
        bytes.append(UInt8(ascii: "\""))
        hex(id.timestamp.rawValue)
        bytes.append(UInt8(ascii: "-"))
        hex(id.replica.raw.high)
        hex(id.replica.raw.low)
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func entityID(_ id: EntityID) {
        bytes.append(UInt8(ascii: "\""))
        hex(id.raw.high)
        hex(id.raw.low)
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func hex(_ value: UInt64) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let nibble = UInt8((value >> UInt64(shift)) & 0xf)
            bytes.append(nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10)
        }
    }

    /// One operation, members in canonical (sorted) order.
    mutating func operation(_ operation: Operation) {
        byte(UInt8(ascii: "{"))
        key("author", first: true)
        string(operation.author.name)
        key("case")
        entityID(operation.caseID)
        if case .finalize(let context) = operation.change {
            key("context")
            byte(UInt8(ascii: "{"))
            for (index, field) in context.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { byte(UInt8(ascii: ",")) }
                string(field)
                byte(UInt8(ascii: ":"))
                ids(context[field]!)
            }
            byte(UInt8(ascii: "}"))
        }
        switch operation.change {
        case .add(_, let element), .remove(_, let element, _):
            key("element")
            value(element)
        default: break
        }
        key("entity")
        entityID(operation.entity)
        if case .create(let entityType) = operation.change {
            key("entityType")
            string(entityType)
        }
        if let field = operation.field {
            key("field")
            string(field)
        }
        key("id")
        operationID(operation.id)
        key("kind")
        string(operation.kindName)
        switch operation.change {
        case .set(_, _, let predecessors), .remove(_, _, let predecessors):
            key("predecessors")
            ids(predecessors)
        default: break
        }
        if case .resolve(_, _, _, let reason) = operation.change {
            key("reason")
            string(reason)
        }
        key("seq")
        integer(operation.seq)
        if case .resolve(_, _, let supersedes, _) = operation.change {
            key("supersedes")
            ids(supersedes)
        }
        switch operation.change {
        case .set(_, let value, _), .resolve(_, let value, _, _):
            key("value")
            self.value(value)
        default: break
        }
        key("version")
        integer(Operation.currentVersion)
        byte(UInt8(ascii: "}"))
    }
}
