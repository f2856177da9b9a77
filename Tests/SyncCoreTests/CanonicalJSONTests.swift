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
