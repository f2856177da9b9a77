import Foundation
import PropertyBased
import SyncCore
import SyncTestSupport
import Testing

/// The hand-written canonical writer must produce exactly what Foundation's
/// JSONEncoder (sorted keys, slashes unescaped) produces, for any value.
@Suite struct CanonicalJSONTests {
    static let alphabet: [String] = ["a", "Z", "_", "/", "\"", "\\", "\n", "\t", "\r", "\u{8}", "\u{c}", "\u{1}", "\u{1f}",
                                     "\u{7f}", "æ", "ø", "å", "é", "😀", "\u{2028}", " ", "0", "{", "]"]

    static func randomString(_ random: inout SeededRandom) -> String {
        String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined())
    }

    static func randomValue(_ random: inout SeededRandom, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &random) {
        case 0: return .null
        case 1: return .bool(random.chance(50))
        case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &random))
        case 3: return .number(Double.random(in: -1e6...1e6, using: &random) + 0.5)
        case 4: return .string(randomString(&random))
        case 5: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { members[randomString(&random)] = randomValue(&random, depth: depth + 1) }
            return .object(members)
        }
    }

    @Test(.shrinking(false))
    func theWriterMatchesJSONEncoder() async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        await propertyCheck(count: 2_000, input: Gen.uint64()) { seed in
            var random = SeededRandom(seed: seed)
            let value = Self.randomValue(&random)
            let expected = try! encoder.encode(value)
            #expect(OperationCodec.canonicalBytes(value) == expected, "seed \(seed): \(String(decoding: expected, as: UTF8.self))")
        }
    }

    @Test func everyGeneratedOperationEncodesAsJSONEncoderWould() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let codec = OperationCodec()
        for seed in UInt64(0)..<20 {
            for operation in HistoryGenerator.generate(seed: seed, steps: 80).operations {
                let expected = try encoder.encode(codec.jsonValue(of: operation))
                #expect(codec.encode(operation) == expected)
                #expect(try codec.decode(expected) == operation)
            }
        }
    }
}

/// The JSON parser must read any JSON exactly as Foundation's `JSONDecoder`
/// reads it into `JSONValue`, and refuse what is not JSON.
@Suite struct JSONParserTests {
    @Test(.shrinking(false))
    func theParserAgreesWithJSONDecoder() async {
        let compact = JSONEncoder()
        compact.outputFormatting = [.sortedKeys]
        let pretty = JSONEncoder()
        pretty.outputFormatting = [.prettyPrinted]
        await propertyCheck(count: 2_000, input: Gen.uint64()) { seed in
            var random = SeededRandom(seed: seed)
            let value = CanonicalJSONTests.randomValue(&random)
            for encoder in [compact, pretty] {
                let bytes = try! encoder.encode(value)
                let expected = try! JSONDecoder().decode(JSONValue.self, from: bytes)
                #expect((try? OperationCodec.parse(bytes, path: "")) == expected, "seed \(seed): \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "{a:1}", "\"\\x\"", "01", "1.", "-", ".5", "1e", "+1",
        "\"\u{1}\"", String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nul", "tru",
        "\"\\ud800\"", "\"\\udc00x\"", "\"abc", "[1 2]", "{\"a\":1,}", "1 2", "NaN", "1e999",
    ])
    func malformedJSONIsRefused(text: String) {
        #expect(throws: OperationError.self) { try OperationCodec.parse(Data(text.utf8), path: "") }
    }

    /// Found by schemathesis: `"seq": 9007199254740991.0` is a whole number to
    /// JSONDecoder, and must be one to this parser too.
    @Test(arguments: ["9007199254740991.0", "1.0", "-3e2", "5.791184395586791e+16", "1e300", "0.5", "-0.0"])
    func integralNumbersWrittenWithAFractionAreReadAsJSONDecoderReadsThem(text: String) throws {
        let data = Data("[\(text)]".utf8)
        #expect(try OperationCodec.parse(data, path: "") == (try JSONDecoder().decode(JSONValue.self, from: data)))
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: OperationError.self) { try OperationCodec.parse(Data([0x22, 0xC3, 0x28, 0x22]), path: "") }
    }

    @Test func escapesAndNumbersReadAsJSONDecoderReadsThem() throws {
        let text = #"{"s":"a\"b\\c\/d\n\u00e6\ud83d\ude00","i":-42,"f":0.5,"e":1e3,"big":12345678901234567890,"z":-0}"#
        let parsed = try OperationCodec.parse(Data(text.utf8), path: "")
        #expect(parsed == (try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))))
        #expect(parsed.member("s") == .string("a\"b\\c/d\næ😀"))
        #expect(parsed.member("e") == .integer(1000))
    }
}
