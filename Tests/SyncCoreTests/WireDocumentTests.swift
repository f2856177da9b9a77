import Foundation
import SyncCore
import SyncTestSupport
import Testing

/// The documents of Protocol.md §10, as the server and every client read and
/// write them: each round-trips in canonical form, the document's examples
/// read as their type, and bad input is refused at its path.
@Suite struct WireDocumentTests {
    static let replica = ReplicaID("3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10")!
    static let caseID = EntityID("c0ffee00112233445566778899aabbcc")!

    static func operations() -> [SyncCore.Operation] {
        var author = OperationAuthor(replica: replica, user: UserID("anna")!, wallClock: ManualWallClock())
        var random = SeededRandom(seed: 7)
        let created = author.create(EntityType.caseFile, inCase: nil, using: &random)
        var state = EntityState(id: created.entity)
        _ = state.apply(created)
        return [created, try! author.set(Case.Field.title, to: "Familien Holm", on: state)]
    }

    static func isCanonical(_ data: Data) throws -> Bool {
        OperationCodec.canonicalBytes(try OperationCodec.parse(data, path: "")) == data
    }

    @Test func everyDocumentRoundTripsInCanonicalForm() throws {
        let operations = Self.operations()
        let batch = PushBatch(
            batch: "b-1", operations: operations,
            reads: [.init(at: 1_795_424_100_000, caseID: Self.caseID, entity: nil, what: "case-show")],
            proofs: [operations[0].id: "k2V0c0v4ZqRr5h1kz7bM2w"])
        #expect(try PushBatch.decode(batch.encoded()) == batch)
        #expect(try Self.isCanonical(batch.encoded()))

        let receipt = PushReceipt(batch: "b-1", serverTime: 1_795_424_400_123, stored: 1, duplicates: 1, operations: [
            .init(id: operations[0].id, position: 12_884_901_929, proof: "k2V0c0v4ZqRr5h1kz7bM2w"),
            .init(id: operations[1].id, position: 12_884_901_930, proof: nil),
        ])
        #expect(try PushReceipt.decode(receipt.encoded()) == receipt)
        #expect(try Self.isCanonical(receipt.encoded()))

        let page = PullPage(cursor: "c5d1", hasMore: true, operations: operations, removedCases: [Self.caseID], remaining: 3,
                            serverTime: 1_795_424_400_456)
        #expect(try PullPage.decode(page.encoded()) == page)

        let signIn = DeviceSignIn(user: "anna", password: "correct horse battery", deviceName: "Anna's ThinkPad", resume: "cwt_x")
        #expect(try DeviceSignIn.decode(signIn.encoded()) == signIn)
        let answer = DeviceSignInAnswer(device: Self.replica, token: "cwt_x", user: "anna", role: "caseworker", serverTime: 1)
        #expect(try DeviceSignInAnswer.decode(answer.encoded()) == answer)
        let state = DeviceState(device: Self.replica, user: "anna", role: "supervisor", held: [1...60, 101...110], serverTime: 1)
        #expect(try DeviceState.decode(state.encoded()) == state)
        let problem = ProblemDocument(code: "clock-ahead", title: "t", status: 409, detail: "d",
                                      extensions: ["path": "operations[3].id", "serverTime": 5, "operations": [.string(operations[0].id.description)]])
        #expect(try ProblemDocument.decode(problem.encoded()) == problem)
        #expect(problem.operationIndex == 3 && problem.serverTime == 5 && problem.operations == [operations[0].id])
    }

    /// A page is written around operations' stored bytes: the same bytes as
    /// the page of the decoded operations.
    @Test func aPageAroundStoredBytesIsThePageOfTheOperations() throws {
        let operations = Self.operations()
        let codec = OperationCodec()
        let page = PullPage(cursor: "c1", hasMore: false, operations: operations, removedCases: [], remaining: 0, serverTime: 9)
        #expect(PullPage.encoded(cursor: "c1", hasMore: false, operations: operations.map(codec.encode), removedCases: [],
                                 remaining: 0, serverTime: 9) == page.encoded())
    }

    /// The JSON examples of Protocol.md §10 that are whole (not shortened
    /// with "…" where JSON needs a value) read as the wire types they show:
    /// sign-in, its answer, the device state, the receipt and a problem.
    @Test func protocolExamplesReadAsTheirTypes() throws {
        let document = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol.md")
        let text = try String(contentsOf: document, encoding: .utf8)
        let transport = try #require(text.components(separatedBy: "## 10. Transport").dropFirst().first?
            .components(separatedBy: "## 11.").first)
        let readers: [(String, (Data) -> Bool)] = [
            ("sign-in", { (try? DeviceSignIn.decode($0)) != nil }),
            ("sign-in answer", { (try? DeviceSignInAnswer.decode($0)) != nil }),
            ("device state", { (try? DeviceState.decode($0)) != nil }),
            ("receipt", { (try? PushReceipt.decode($0)) != nil }),
            ("problem", { (try? ProblemDocument.decode($0)) != nil }),
        ]
        var read: Set<String> = []
        for block in transport.components(separatedBy: "```json").dropFirst() {
            let data = Data((block.components(separatedBy: "```").first ?? "").utf8)
            guard (try? OperationCodec.parse(data, path: "")) != nil else { continue }
            read.formUnion(readers.filter { $0.1(data) }.map(\.0))
        }
        #expect(read == Set(readers.map(\.0)))
    }

    @Test func badDocumentsAreRefusedAtTheirPath() throws {
        let operation = String(decoding: OperationCodec().encode(Self.operations()[1]), as: UTF8.self)
        let cases: [(String, String, String?)] = [
            (#"{"batch":"b","operations":[],"extra":1}"#, "unknown-member", "extra"),
            (#"{"batch":"b","operations":[\#(operation),{"version":1}]}"#, "missing-member", "operations[1]"),
            (#"{"batch":"b","operations":[],"reads":[{"at":1795424100000,"case":"x","what":"case-show"}]}"#, "invalid-identifier", "reads[0].case"),
            (#"{"batch":"b","operations":[],"proofs":{"\#(Self.operations()[0].id)":7}}"#, "wrong-type", "proofs.\(Self.operations()[0].id)"),
            ("[]", "wrong-type", nil),
            (#"{"batch":"#, "malformed-json", nil),
        ]
        for (body, code, path) in cases {
            #expect(throws: WireError.self) { try PushBatch.decode(Data(body.utf8)) }
            do {
                _ = try PushBatch.decode(Data(body.utf8))
            } catch {
                #expect(error.code == code && error.path == path, "\(body): \(error)")
            }
        }
        let held = #"{"device":"3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10","user":"anna","role":"caseworker","held":[[1,5],[6,9]],"serverTime":1}"#
        #expect(throws: WireError.self) { try DeviceState.decode(Data(held.utf8)) }
        let page = #"{"cursor":"c","hasMore":"yes","operations":[]}"#
        do {
            _ = try PullPage.decode(Data(page.utf8))
            Issue.record("a page whose hasMore is not a boolean was read")
        } catch {
            #expect(error.code == "wrong-type" && error.path == "hasMore")
        }
    }

    /// Protocol.md §10.1: the server is upgraded before the laptops, so a
    /// laptop reads an answer with members it does not know; a request with
    /// one is refused.
    @Test func answersMayCarryMembersALaterServerAdds() throws {
        func withExtra(_ data: Data, at path: [String] = []) throws -> Data {
            func add(_ value: JSONValue, _ path: ArraySlice<String>) -> JSONValue {
                switch value {
                case .object(var members):
                    if let first = path.first { members[first] = add(members[first]!, path.dropFirst()) } else { members["later"] = [1, "x"] }
                    return .object(members)
                case .array(let items): return .array(items.map { add($0, path) })
                default: return value
                }
            }
            return OperationCodec.canonicalBytes(add(try OperationCodec.parse(data, path: ""), path[...]))
        }
        let operations = Self.operations()
        let receipt = PushReceipt(batch: "b-1", serverTime: 1, stored: 1, duplicates: 0,
                                  operations: [.init(id: operations[0].id, position: 12, proof: "p")])
        #expect(try PushReceipt.decode(withExtra(receipt.encoded())) == receipt)
        #expect(try PushReceipt.decode(withExtra(receipt.encoded(), at: ["operations"])) == receipt)
        let page = PullPage(cursor: "c", hasMore: false, operations: operations, removedCases: [], remaining: 0, serverTime: 1)
        #expect(try PullPage.decode(withExtra(page.encoded())) == page)
        let answer = DeviceSignInAnswer(device: Self.replica, token: "cwt_x", user: "anna", role: "caseworker", serverTime: 1)
        #expect(try DeviceSignInAnswer.decode(withExtra(answer.encoded())) == answer)
        let state = DeviceState(device: Self.replica, user: "anna", role: "supervisor", held: [1...60], serverTime: 1)
        #expect(try DeviceState.decode(withExtra(state.encoded())) == state)

        let signIn = DeviceSignIn(user: "anna", password: "correct horse battery", deviceName: "Anna's ThinkPad")
        #expect(throws: WireError.self) { try DeviceSignIn.decode(withExtra(signIn.encoded())) }
        #expect(throws: WireError.self) { try PushBatch.decode(withExtra(PushBatch(batch: "b", operations: operations).encoded())) }
    }

    /// A later server may name a role this version does not know, and a
    /// problem document without its words for people still carries its code
    /// and members: a revoked laptop must purge whatever the detail says.
    @Test func answersOfALaterServerStillRead() throws {
        let state = #"{"device":"3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10","user":"anna","role":"auditor","held":[[1,5]],"serverTime":1}"#
        #expect(try DeviceState.decode(Data(state.utf8)).role == "auditor")
        let revoked = #"{"type":"urn:casework-sync:problem:purge-required","purge":true}"#
        let problem = try ProblemDocument.decode(Data(revoked.utf8))
        #expect(problem.code == "purge-required" && problem.purge && problem.detail.isEmpty)
    }
}
