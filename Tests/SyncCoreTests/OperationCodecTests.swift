import Foundation
import SyncCore
import Testing

/// The JSON encoding of Protocol.md: golden fixtures, the document's own
/// examples, and every kind of bad input.
@Suite struct OperationCodecTests {
    let codec = OperationCodec()

    static let fixtureDirectory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    static let fixtureNames = try! FileManager.default.contentsOfDirectory(atPath: fixtureDirectory.path)
        .filter { $0.hasSuffix(".json") }.sorted()

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
    }

    @Test(arguments: fixtureNames)
    func fixturesDecodeAndReencodeByteForByte(name: String) throws {
        let bytes = try Self.fixture(name)
        let operation = try codec.decode(bytes)
        #expect(codec.encode(operation) == bytes, "\(name) is not in canonical form or does not round-trip")
    }

    /// Every ```json block of Protocol.md tagged `fixture=NAME` must say exactly
    /// what the fixture says, and every fixture must be in the document.
    @Test func protocolDocumentExamplesAreTheFixtures() throws {
        let document = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol.md")
        let text = try String(contentsOf: document, encoding: .utf8)
        var documented: Set<String> = []
        let blocks = text.components(separatedBy: "```json fixture=").dropFirst()
        for block in blocks {
            let name = String(block.prefix { !$0.isNewline })
            let body = block.drop { !$0.isNewline }.components(separatedBy: "```").first ?? ""
            let fromDocument = try OperationCodec.parse(Data(body.utf8), path: name)
            let fromFixture = try OperationCodec.parse(try Self.fixture(name), path: name)
            #expect(fromDocument == fromFixture, "Protocol.md's \(name) differs from the fixture")
            documented.insert(name)
        }
        #expect(documented == Set(Self.fixtureNames))
    }

    func apply(_ names: [String]) throws -> ReplicaState {
        var state = ReplicaState()
        try state.apply(names.map { try codec.decode(try Self.fixture($0)) })
        return state
    }

    static let note = EntityID("4e07e000a1b2c3d4e5f60718293a4b5c")!

    @Test func workedExampleConcurrentEditsThenResolution() throws {
        let beforeReview = try apply(["create-case.json", "create-note.json", "set-body.json", "set-body-concurrent.json"])
        let conflict = try #require(beforeReview.conflicts().first)
        #expect(conflict.isOpen && conflict.values.count == 2)
        #expect(beforeReview.only(Self.note).value(of: "body") == "Far ringede og meldte afbud.")

        let state = try apply(["create-case.json", "create-note.json", "set-body.json", "set-body-concurrent.json", "resolve-body.json"])
        #expect(state.only(Self.note).value(of: "body") == "Mor og Emil (11 år) til stede. Far meldte afbud.")
        #expect(state.conflicts().map(\.isOpen) == [false])
    }

    @Test func workedExampleFinalizedNote() throws {
        let state = try apply([
            "create-case.json", "create-note.json", "set-body.json", "add-present.json", "remove-present.json",
            "finalize-note.json", "set-body-concurrent.json",
        ])
        let note = try #require(Note(state.only(Self.note)))
        #expect(note.status == .finalized)
        #expect(note.body == "Mor og Emil (11 år) til stede. Emil fortalte om skolen.")
        #expect(note.present.isEmpty)
        #expect(note.addenda.map(\.value.value) == ["Far ringede og meldte afbud."])
        #expect(state.conflicts().map(\.kind) == [.editAfterFinalization])
    }

    // MARK: Bad input

    static let valid = #"{"author":"anna","case":"c0ffee00112233445566778899aabbcc","entity":"4e07e000a1b2c3d4e5f60718293a4b5c","field":"body","id":"01a207a23a500000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10","kind":"set","predecessors":[],"seq":3,"value":"text","version":1}"#

    static func replacing(_ member: String, with json: String) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(valid.utf8)) as! [String: Any]
        if json.isEmpty {
            object.removeValue(forKey: member)
        } else {
            object[member] = try! JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    struct BadInput: Sendable, CustomTestStringConvertible {
        let label: String
        let json: String
        let code: String
        let path: String
        var testDescription: String { label }
    }

    static let badInputs: [BadInput] = [
        .init(label: "empty body", json: "", code: "malformed-json", path: ""),
        .init(label: "truncated", json: String(valid.prefix(80)), code: "malformed-json", path: ""),
        .init(label: "not an object", json: "[1,2]", code: "wrong-type", path: ""),
        .init(label: "unknown version", json: replacing("version", with: "2"), code: "unsupported-version", path: "version"),
        .init(label: "version as text", json: replacing("version", with: #""1""#), code: "wrong-type", path: "version"),
        .init(label: "missing entity", json: replacing("entity", with: ""), code: "missing-member", path: ""),
        .init(label: "unknown member", json: replacing("colour", with: #""red""#), code: "unknown-member", path: ""),
        .init(label: "id of the wrong form", json: replacing("id", with: #""42""#), code: "invalid-identifier", path: "id"),
        .init(label: "id in upper case", json: replacing("id", with: #""01A207A23A500000-3F6C1E0A9B2D4C8E8F7A6B5C4D3E2F10""#), code: "invalid-identifier", path: "id"),
        .init(label: "id from 1970", json: replacing("id", with: #""0000000000000000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10""#), code: "invalid-timestamp", path: "id"),
        .init(label: "id from the year 2200", json: replacing("id", with: #""0699e991a8000000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10""#), code: "invalid-timestamp", path: "id"),
        .init(label: "seq zero", json: replacing("seq", with: "0"), code: "invalid-sequence-number", path: "seq"),
        .init(label: "seq fractional", json: replacing("seq", with: "1.5"), code: "wrong-type", path: "seq"),
        .init(label: "author with spaces", json: replacing("author", with: #""Anna Hansen""#), code: "invalid-identifier", path: "author"),
        .init(label: "entity id too short", json: replacing("entity", with: #""4e07""#), code: "invalid-identifier", path: "entity"),
        .init(label: "unknown kind", json: replacing("kind", with: #""merge""#), code: "unknown-kind", path: "kind"),
        .init(label: "field name with punctuation", json: replacing("field", with: #""body!""#), code: "invalid-name", path: "field"),
        .init(label: "huge value", json: replacing("value", with: "\"" + String(repeating: "x", count: 600_000) + "\""), code: "too-large", path: "value"),
        .init(label: "deeply nested value", json: replacing("value", with: String(repeating: "[", count: 40) + String(repeating: "]", count: 40)), code: "too-large", path: "value"),
        .init(label: "predecessor of the wrong form", json: replacing("predecessors", with: #"["x"]"#), code: "invalid-identifier", path: "predecessors[0]"),
        .init(label: "too many predecessors", json: replacing("predecessors", with: "[" + Array(repeating: #""01a207a23a500000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10""#, count: 300).joined(separator: ",") + "]"), code: "too-large", path: "predecessors"),
    ]

    @Test(arguments: badInputs)
    func badInputIsATypedErrorThatSaysWhereAndWhat(input: BadInput) {
        do {
            let operation = try codec.decode(Data(input.json.utf8))
            Issue.record("accepted \(input.label): \(operation)")
        } catch {
            #expect(error.reason.code == input.code, "\(input.label): \(error)")
            #expect(error.path == input.path, "\(input.label): \(error)")
            #expect(!error.description.isEmpty)
        }
    }

    @Test func aResolutionNeedsAReasonAndSomethingToSupersede() throws {
        var object = try JSONSerialization.jsonObject(with: try Self.fixture("resolve-body.json")) as! [String: Any]
        object["reason"] = "  "
        #expect(throws: OperationError(path: "reason", reason: .emptyText)) {
            try codec.decode(JSONSerialization.data(withJSONObject: object))
        }
        object["reason"] = "ok"
        object["supersedes"] = [String]()
        #expect(throws: OperationError(path: "supersedes", reason: .emptyText)) {
            try codec.decode(JSONSerialization.data(withJSONObject: object))
        }
    }

    @Test func aBatchWithOneBadOperationIsRefusedWhole() throws {
        let good = try Self.fixtureNames.map { String(decoding: try Self.fixture($0), as: UTF8.self) }
        let batch = "[" + (good.prefix(2) + [Self.replacing("seq", with: "-4")] + good.dropFirst(2)).joined(separator: ",") + "]"
        #expect(throws: OperationError(path: "operations[2].seq", reason: .invalidSequenceNumber)) {
            try codec.decodeBatch(Data(batch.utf8))
        }
        let tooMany = "[" + Array(repeating: Self.valid, count: 10_001).joined(separator: ",") + "]"
        #expect(throws: OperationError(path: "operations", reason: .tooManyOperations(limit: 10_000))) {
            try codec.decodeBatch(Data(tooMany.utf8))
        }
    }

    @Test func aConflictingDuplicateLeavesTheStateUntouched() throws {
        var state = try apply(["create-case.json", "create-note.json", "set-body.json"])
        let before = state.snapshots()
        let original = try codec.decode(try Self.fixture("set-body.json"))
        let forged = Operation(
            id: original.id, seq: original.seq, author: original.author, caseID: original.caseID,
            entity: original.entity, change: .set(field: "body", value: "forged", predecessors: []))
        let fresh = try codec.decode(try Self.fixture("add-present.json"))
        #expect(throws: OperationError(path: "operations[1]", reason: .conflictingDuplicate)) {
            try state.apply([fresh, forged])
        }
        let stolenSeq = Operation(
            id: OperationID(timestamp: HLCTimestamp(rawValue: original.id.timestamp.rawValue + 7), replica: original.replica),
            seq: original.seq, author: original.author, caseID: original.caseID, entity: original.entity,
            change: .delete)
        #expect(throws: OperationError(path: "operations[1].seq", reason: .sequenceNumberTaken(original.id))) {
            try state.apply([fresh, stolenSeq])
        }
        #expect(state.snapshots() == before)
        #expect(state.operationCount == 3)
        // The same batch again is a no-op, not an error.
        let again = try state.apply([original])
        #expect(again.applied.isEmpty && again.duplicates == 1)
    }
}
