import Foundation
import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// Protocol.md §4, numbers: one canonical spelling per number (RFC 8785), so
/// that "the same value" is the same bytes whichever way a client wrote it,
/// and the change of spelling leaves every operation already stored alone.
@Suite struct NumberFormTests {
    static func canonical(_ text: String) throws -> String {
        let value = try OperationCodec.parse(Data(text.utf8), path: "")
        return String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self)
    }

    static func canonical(bits: UInt64) -> String {
        String(decoding: OperationCodec.canonicalBytes(.number(Double(bitPattern: bits))), as: UTF8.self)
    }

    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their JCS form.
    @Test(arguments: [
        (0x0000_0000_0000_0000, "0"), (0x8000_0000_0000_0000, "0"),
        (0x0000_0000_0000_0001, "5e-324"), (0x8000_0000_0000_0001, "-5e-324"),
        (0x7fef_ffff_ffff_ffff, "1.7976931348623157e+308"), (0xffef_ffff_ffff_ffff, "-1.7976931348623157e+308"),
        (0x4340_0000_0000_0000, "9007199254740992"), (0xc340_0000_0000_0000, "-9007199254740992"),
        (0x4430_0000_0000_0000, "295147905179352830000"),
        (0x44b5_2d02_c7e1_4af5, "9.999999999999997e+22"), (0x44b5_2d02_c7e1_4af6, "1e+23"),
        (0x44b5_2d02_c7e1_4af7, "1.0000000000000001e+23"),
        (0x444b_1ae4_d6e2_ef4e, "999999999999999700000"), (0x444b_1ae4_d6e2_ef4f, "999999999999999900000"),
        (0x444b_1ae4_d6e2_ef50, "1e+21"),
        (0x3eb0_c6f7_a0b5_ed8c, "9.999999999999997e-7"), (0x3eb0_c6f7_a0b5_ed8d, "0.000001"),
        (0x41b3_de43_5555_5553, "333333333.3333332"), (0x41b3_de43_5555_5554, "333333333.33333325"),
        (0x41b3_de43_5555_5555, "333333333.3333333"), (0x41b3_de43_5555_5556, "333333333.3333334"),
        (0x41b3_de43_5555_5557, "333333333.33333343"),
        (0xbecb_f647_612f_3696, "-0.0000033333333333333333"), (0x4314_3ff3_c1cb_0959, "1424953923781206.2"),
    ] as [(UInt64, String)])
    func numbersAreWrittenAsRFC8785Writes(bits: UInt64, expected: String) {
        #expect(Self.canonical(bits: bits) == expected)
    }

    /// The examples of issue 15: a client that writes `1.0`, `-0.0` or `1E21`
    /// gets back the one canonical spelling, and can compare by it.
    @Test(arguments: [
        ("1.0", "1"), ("-0.0", "0"), ("-0", "0"), ("1e0", "1"), ("100e-2", "1"), ("1E21", "1e+21"), ("1e+21", "1e+21"),
        ("0.10", "0.1"), ("1e-7", "1e-7"), ("0.00001", "0.00001"), ("123456789012345680000", "123456789012345680000"),
        ("9223372036854775807", "9223372036854775807"), ("9223372036854775808", "9223372036854776000"),
        ("1e16", "10000000000000000"), ("5.791184395586791e+16", "57911843955867910"), ("-1.5e-300", "-1.5e-300"),
    ])
    func eachSpellingOfANumberHasOneCanonicalForm(text: String, expected: String) throws {
        #expect(try Self.canonical(text) == expected)
        #expect(try Self.canonical(expected) == expected)
    }

    /// Any finite double: its canonical form reads back as the same number and
    /// is canonical itself, and it is in the grammar RFC 8785 allows (no
    /// leading zeros, no `+` but in exponents, lowercase `e`).
    @Test(.shrinking(false))
    func everyNumberRoundTripsThroughItsCanonicalForm() async {
        let grammar = try! NSRegularExpression(pattern: #"^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?(e[+-][1-9][0-9]*)?$"#)
        await propertyCheck(count: 5_000, input: Gen.uint64()) { bits in
            let number = Double(bitPattern: bits)
            guard number.isFinite else { return }
            let text = Self.canonical(bits: bits)
            let parsed = try! OperationCodec.parse(Data(text.utf8), path: "")
            let readBack: Double? = switch parsed {
            case .integer(let integer): Double(integer)
            case .number(let double): double
            default: nil
            }
            #expect(readBack == number, "\(number) written \(text)")
            #expect(try! Self.canonical(text) == text)
            #expect(grammar.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil, "\(text)")
        }
    }

    /// The canonical form before this version: Foundation's JSONEncoder.
    static func legacyForm(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(value)
    }

    /// Stored operations, receipt proofs (MACs over canonical bytes) and batch
    /// hashes were made with the legacy form. Every integer is spelled the
    /// same in both forms, and a number spelled otherwise now is one no field
    /// of the schema accepts, so no operation accepted before changes bytes.
    /// (A new value form with fractions would break this: it must come with
    /// a way to read the old bytes.)
    @Test func everyNumberAFieldAcceptsIsSpelledAsBefore() {
        let forms = Set(CaseworkSchema.entities.values.flatMap { $0.fields.values.map(\.form) })
        var differing = 0
        var random = SeededRandom(seed: 8785)
        for _ in 0..<20_000 {
            let integer = JSONValue.integer(Int64.random(in: Int64.min...Int64.max, using: &random))
            #expect(OperationCodec.canonicalBytes(integer) == Self.legacyForm(integer))
            let double = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random))
            guard double.isFinite else { continue }
            let value = try! OperationCodec.parse(Self.legacyForm(.number(double)), path: "")
            if OperationCodec.canonicalBytes(value) != Self.legacyForm(value) {
                differing += 1
                #expect(forms.allSatisfy { !$0.accepts(value) }, "\(value) differs and is accepted")
            }
        }
        // The property must have met numbers whose spelling changed.
        #expect(differing > 0)
    }

    /// What the server's duplicate check relies on (LegacyNumberSpellingTests):
    /// a body in the legacy spelling reads back, and written anew it is in
    /// today's canonical form.
    @Test func aLegacySpellingReadsBackAndIsWrittenAnewCanonically() throws {
        let legacy = Self.legacyForm([.number(1e-7), .number(1e16 + 2), .number(1e20)])
        let canonical = OperationCodec.canonicalBytes(try OperationCodec.parse(legacy, path: ""))
        #expect(legacy != canonical)
        #expect(String(decoding: canonical, as: UTF8.self) == "[1e-7,10000000000000002,100000000000000000000]")
    }

    /// Protocol.md §6.2: set elements are listed byte-wise by canonical
    /// encoding, whatever order they were added in.
    @Test func setElementsAreListedByteWiseByCanonicalEncoding() throws {
        let elements: [JSONValue] = [.integer(10), .integer(9), .integer(-5), "b", "B", "a", "æ", .null, .bool(true), ["x"]]
        let expected = elements.sorted { OperationCodec.canonicalBytes($0).lexicographicallyPrecedes(OperationCodec.canonicalBytes($1)) }
        #expect(expected.first == "B" && expected.last == .bool(true))
        for seed in UInt64(0)..<10 {
            var anna = TestReplica("anna", seed: seed)
            var random = SeededRandom(seed: seed)
            let caseOp = try anna.write { a, _ in a.create(EntityType.caseFile, inCase: nil, using: &random) }
            let note = try anna.write { a, _ in a.create(EntityType.note, inCase: caseOp.entity, using: &random) }
            for element in elements.shuffled(using: &random) {
                try anna.write { a, s in try a.add(element, to: Note.Field.present, on: s.only(note.entity)) }
            }
            #expect(anna.entity(note.entity).elements(of: Note.Field.present) == expected)
        }
    }
}
