import Foundation
@testable import SyncService
import SyncCore
import SyncTestSupport
import Testing

/// openapi.json states limits and patterns the code enforces; the code is the
/// source. Each is read from the document and held to the constant or the
/// validator it describes, so that a client generated from the document
/// neither sends what the server refuses nor refuses what it sends.
@Suite struct OpenAPIAgreementTests {
    static var document: [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/SyncService/Resources/openapi.json")
        return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// Every schema object in the document under `key` (at any depth).
    static func schemas(named key: String) -> [[String: Any]] { schemas(named: key, in: document) }

    static func schemas(named key: String, in node: Any) -> [[String: Any]] {
        var found: [[String: Any]] = []
        if let object = node as? [String: Any] {
            if let schema = object[key] as? [String: Any] { found.append(schema) }
            for value in object.values { found += schemas(named: key, in: value) }
        } else if let array = node as? [Any] {
            for value in array { found += schemas(named: key, in: value) }
        }
        return found
    }

    static var operationVariants: [[String: Any]] {
        let components = document["components"] as! [String: Any]
        let operation = (components["schemas"] as! [String: Any])["Operation"] as! [String: Any]
        return (operation["oneOf"] as! [[String: Any]]).map { $0["properties"] as! [String: Any] }
    }

    static func property(_ name: String, kind: String) -> [String: Any] {
        let variant = operationVariants.first { (($0["kind"] as? [String: Any])?["const"] as? String) == kind }!
        return variant[name] as! [String: Any]
    }

    static func matches(_ pattern: String, _ text: String) -> Bool {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static let operationIDPattern: String = {
        schemas(named: "predecessors").compactMap { ($0["items"] as? [String: Any])?["pattern"] as? String }.first!
    }()

    static func operationID(milliseconds: UInt64, counter: UInt64) -> String {
        HLCTimestamp(milliseconds: milliseconds, counter: counter).description + "-" + String(repeating: "a", count: 32)
    }

    @Test func everyOperationIDInTheDocumentHasOnePattern() {
        let text = String(decoding: try! JSONSerialization.data(withJSONObject: Self.document), as: UTF8.self)
        let idPatterns = Self.schemas(named: "id").compactMap { $0["pattern"] as? String }.filter { $0.contains("-(?!0{32})") }
        #expect(!idPatterns.isEmpty)
        #expect(idPatterns.allSatisfy { $0 == Self.operationIDPattern })
        let predecessorPatterns = Set(Self.schemas(named: "predecessors").compactMap { ($0["items"] as? [String: Any])?["pattern"] as? String })
        #expect(predecessorPatterns == [Self.operationIDPattern])
        #expect(!text.contains("01[7-9a-f]"), "the pattern that refused early 2020")
    }

    /// The times an operation id may carry (HLCTimestamp.validMilliseconds),
    /// at their edges and in between, whatever the counter.
    @Test func theOperationIDPatternAcceptsExactlyTheValidTimes() {
        let earliest = HLCTimestamp.earliestMilliseconds, latest = HLCTimestamp.latestMilliseconds
        let pattern = Self.operationIDPattern
        for (ms, counter, valid) in [
            (earliest, UInt64(0), true), (earliest - 1, HLCTimestamp.maximumCounter, false),
            (latest - 1, HLCTimestamp.maximumCounter, true), (latest, 0, false),
            (1_577_836_800_000 + 86_400_000 * 40, 7, true), // February 2020, refused before issue 15
            (4_102_444_799_999 - 86_400_000 * 300, 0, true), // 2099, refused before issue 15
        ] as [(UInt64, UInt64, Bool)] {
            let text = Self.operationID(milliseconds: ms, counter: counter)
            #expect(Self.matches(pattern, text) == valid, "\(text)")
            #expect((OperationID(text).map { $0.timestamp.isValid } ?? false) == valid, "\(text)")
        }
        var random = SeededRandom(seed: 15)
        for _ in 0..<2_000 {
            let ms = UInt64.random(in: (earliest - 86_400_000 * 400)...(latest + 86_400_000 * 400), using: &random)
            let text = Self.operationID(milliseconds: ms, counter: UInt64.random(in: 0...HLCTimestamp.maximumCounter, using: &random))
            #expect(Self.matches(pattern, text) == HLCTimestamp.validMilliseconds.contains(ms), "\(text)")
        }
    }

    @Test func operationLimitsAreTheCodes() {
        let limits = OperationLimits.standard
        let seq = Self.property("seq", kind: "set")
        #expect(seq["minimum"] as? Int == 1)
        #expect(seq["maximum"] as? Int == 1 << 53)
        for kind in ["set", "remove"] {
            #expect(Self.property("predecessors", kind: kind)["maxItems"] as? Int == limits.maximumPredecessors)
        }
        let supersedes = Self.property("supersedes", kind: "resolve")
        #expect(supersedes["minItems"] as? Int == 1)
        #expect(supersedes["maxItems"] as? Int == limits.maximumPredecessors)
        let context = Self.property("context", kind: "finalize")
        #expect(context["maxProperties"] as? Int == limits.maximumContextFields)
        #expect((context["additionalProperties"] as? [String: Any])?["maxItems"] as? Int == limits.maximumContextOperationsPerField)
        let reason = Self.property("reason", kind: "resolve")
        #expect(reason["maxLength"] as? Int == limits.maximumReasonBytes)
        #expect(reason["minLength"] as? Int == 1)
    }

    /// A reason of White_Space only is empty to the code (`BlankText`) and
    /// to the pattern; anything else is not, in both.
    @Test func theReasonPatternIsTheBlankTextRule() {
        let pattern = Self.property("reason", kind: "resolve")["pattern"] as! String
        let whiteSpace = (0...0x10FFFF).compactMap(Unicode.Scalar.init).filter(\.properties.isWhitespace)
        #expect(whiteSpace.count == 25)
        for scalar in whiteSpace {
            let text = String(scalar) + " \t"
            #expect(BlankText.isBlank(text))
            #expect(!Self.matches(pattern, text), "U+\(String(scalar.value, radix: 16))")
        }
        for text in ["a", " x ", "\u{FEFF}", "\u{200B}", "\u{180E}", " \u{301}", "-", "😀", "\u{1}"] {
            #expect(!BlankText.isBlank(text))
            #expect(Self.matches(pattern, text), "\(text.unicodeScalars.map { $0.value })")
        }
    }

    @Test func identifierPatternsAcceptWhatTheCodeAccepts() {
        let user = Self.property("author", kind: "set")["pattern"] as! String
        let entity = Self.property("entity", kind: "set")["pattern"] as! String
        let field = Self.property("field", kind: "set")["pattern"] as! String
        let maxUser = String(repeating: "a", count: UserID.maximumLength)
        for text in ["anna", "bo.jensen", "a-1_b", "0", maxUser, maxUser + "a", "Anna", "-a", ".a", "", "a b", "æ"] {
            #expect(Self.matches(user, text) == (UserID(text) != nil), "user \(text)")
        }
        for text in [String(repeating: "0", count: 31) + "1", String(repeating: "0", count: 32), String(repeating: "f", count: 32),
                     String(repeating: "F", count: 32), String(repeating: "a", count: 31), String(repeating: "a", count: 33)] {
            #expect(Self.matches(entity, text) == (EntityID(text) != nil), "entity \(text)")
        }
        for text in ["body", "childView", "a_1", "a" + String(repeating: "b", count: 63), "a" + String(repeating: "b", count: 64),
                     "Body", "_a", "1a", "a-b", ""] {
            #expect(Self.matches(field, text) == FieldName.isValid(text), "field \(text)")
        }
    }

    @Test func pushLimitsAreTheServers() {
        let components = Self.document["components"] as! [String: Any]
        let push = ((components["schemas"] as! [String: Any])["PushRequest"] as! [String: Any])["properties"] as! [String: Any]
        #expect((push["operations"] as! [String: Any])["maxItems"] as? Int == PushBatch.maximumOperations)
        #expect((push["reads"] as! [String: Any])["maxItems"] as? Int == PushBatch.maximumReads)
        #expect((push["proofs"] as! [String: Any])["maxProperties"] as? Int == PushBatch.maximumOperations)
        let read = ((components["schemas"] as! [String: Any])["OfflineRead"] as! [String: Any])["properties"] as! [String: Any]
        let at = read["at"] as! [String: Any]
        #expect(at["minimum"] as? Int64 == Int64(HLCTimestamp.earliestMilliseconds))
        #expect(at["maximum"] as? Int64 == Int64(HLCTimestamp.latestMilliseconds) - 1)
        let proof = (push["proofs"] as! [String: Any])["additionalProperties"] as! [String: Any]
        #expect(proof["minLength"] as? Int == 1 && proof["maxLength"] as? Int == 64)
        let batch = (push["batch"] as! [String: Any])["pattern"] as! String
        for text in ["b1", "a.b-c_D", String(repeating: "x", count: 128), String(repeating: "x", count: 129), "", "a b", "a/b", "æ"] {
            #expect(Self.matches(batch, text) == PushBatch.isValidBatchID(text), "batch \(text)")
        }
    }

    /// Protocol.md §10.2: the sign-in members' limits are bytes in the code;
    /// openapi's `maxLength` counts characters, the same for ASCII.
    @Test func signInLimitsAreTheServers() throws {
        let components = Self.document["components"] as! [String: Any]
        let signIn = ((components["schemas"] as! [String: Any])["LoginRequest"] as! [String: Any])["properties"] as! [String: Any]
        let limits = [
            "user": UserID.maximumLength, "password": DeviceSignIn.maximumPasswordBytes,
            "deviceName": DeviceSignIn.maximumDeviceNameBytes, "resume": DeviceSignIn.maximumResumeBytes,
        ]
        #expect(Set(signIn.keys) == Set(limits.keys))
        for (member, limit) in limits {
            let schema = signIn[member] as! [String: Any]
            #expect(schema["minLength"] as? Int == 1, "\(member)")
            #expect(schema["maxLength"] as? Int == limit, "\(member)")
            // The code's limit, at its edge, in ASCII.
            func body(_ length: Int) -> JSONValue {
                var members: [String: JSONValue] = ["user": "anna", "password": "a long password", "deviceName": "laptop"]
                members[member] = .string(String(repeating: "a", count: length))
                return .object(members)
            }
            #expect((try? DeviceSignIn(json: body(limit))) != nil, "\(member) at \(limit)")
            #expect((try? DeviceSignIn(json: body(limit + 1))) == nil, "\(member) over \(limit)")
            #expect((try? DeviceSignIn(json: body(0))) == nil, "\(member) empty")
        }
    }
}
