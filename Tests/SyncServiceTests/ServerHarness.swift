import Foundation
import Hummingbird
import HummingbirdTesting
import ReviewPages
import SyncCore
import SyncPersistence
import SyncService
import SyncTestSupport
import Testing

/// A server on an in-memory database with four accounts, and laptops that talk
/// to it through Hummingbird's test client.
struct ServerHarness {
    static let password = "correct horse battery"
    let database: ServerDatabase

    static func make() async throws -> ServerHarness {
        let database = try ServerDatabase.inMemory()
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor), ("root", .admin)] {
            try await database.addUser(name, role: role, password: password, bcryptCost: 4)
        }
        return ServerHarness(database: database)
    }

    func test<Value: Sendable>(
        transport: TransportSecurity = .plainHTTP, bodyBudget: BodyBudget = BodyBudget(),
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = Application(router: buildRouter(database: database, frontEnds: [ReviewPages()], transport: transport, bodyBudget: bodyBudget))
        return try await app.test(.router) { client in try await body(client) }
    }
}

struct Reply: @unchecked Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    /// Parsed, for answers that are no wire type (the conflict and audit logs, health).
    let body: JSONValue
    let raw: String

    /// The problem document of a refusal.
    var problem: ProblemDocument? {
        status.code >= 400 ? try? ProblemDocument.decode(Data(raw.utf8)) : nil
    }

    var problemCode: String? { problem?.code }

    func receipt() throws -> PushReceipt { try PushReceipt.decode(Data(raw.utf8)) }
    func page() throws -> PullPage { try PullPage.decode(Data(raw.utf8)) }
    func deviceState() throws -> DeviceState { try DeviceState.decode(Data(raw.utf8)) }
    func signedIn() throws -> DeviceSignInAnswer { try DeviceSignInAnswer.decode(Data(raw.utf8)) }
}


extension TestClientProtocol {
    /// `document`: a wire type's encoded bytes; `json` and `rawBody`: bodies
    /// of no wire type's form, for the tests of bad input.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, document: Data? = nil, json: JSONValue? = nil,
        rawBody: String? = nil
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let document {
            headers[.contentType] = "application/json"
            body = ByteBuffer(data: document)
        } else if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(data: OperationCodec.canonicalBytes(json))
        } else if let rawBody {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: rawBody)
        }
        let response = try await execute(uri: uri, method: method, headers: headers, body: body)
        let raw = String(buffer: response.body)
        let parsed = (try? OperationCodec.parse(Data(raw.utf8), path: "")) ?? .null
        if response.status.code >= 400 {
            #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(uri): \(raw)")
        }
        #expect(response.status.code < 500, "\(method) \(uri) answered \(response.status): \(raw)")
        return Reply(status: response.status, headers: response.headers, body: parsed, raw: raw)
    }

    func login(_ user: String, password: String = ServerHarness.password) async throws -> Laptop {
        let reply = try await call(.post, "/v1/devices", document: DeviceSignIn(user: user, password: password, deviceName: "test laptop").encoded())
        try #require(reply.status == .created, "login of \(user) failed: \(reply.raw)")
        let answer = try reply.signedIn()
        return Laptop(user: UserID(user)!, token: answer.token, replica: answer.device)
    }
}

/// A field laptop: its own replica state and author, a pull cursor, and the
/// operations it wrote.
struct Laptop: Sendable {
    let user: UserID
    let token: String
    var author: OperationAuthor
    var state = ReplicaState()
    var cursor: String?
    var removedCases: [String] = []
    var random: SeededRandom

    init(user: UserID, token: String, replica: ReplicaID) {
        self.user = user
        self.token = token
        author = OperationAuthor(replica: replica, user: user, wallClock: SystemWallClock())
        random = SeededRandom(seed: UInt64(truncatingIfNeeded: replica.description.hashValue))
    }

    mutating func write(_ make: (inout OperationAuthor, ReplicaState, inout SeededRandom) throws -> SyncCore.Operation) rethrows -> SyncCore.Operation {
        let operation = try make(&author, state, &random)
        try! state.apply([operation])
        return operation
    }

    /// A new case with this user as its member and primary caseworker, as the field client writes it.
    mutating func newCase(title: String) throws -> [SyncCore.Operation] {
        let created = write { a, _, r in a.create(EntityType.caseFile, inCase: nil, using: &r) }
        let id = created.entity
        let name = JSONValue.string(user.name)
        return [
            created,
            try write { a, s, _ in try a.set(Case.Field.title, to: .string(title), on: s.entity(id)!) },
            try write { a, s, _ in try a.add(name, to: Case.Field.members, on: s.entity(id)!) },
            try write { a, s, _ in try a.set(Case.Field.primaryCaseworker, to: name, on: s.entity(id)!) },
        ]
    }

    /// A new case written as `newCase` does and pushed; its id.
    mutating func pushNewCase(title: String = "Familien Holm", via client: any TestClientProtocol) async throws -> EntityID {
        let operations = try newCase(title: title)
        let reply = try await push(operations, via: client)
        try #require(reply.status == .ok, "pushing a new case failed: \(reply.raw)")
        return operations[0].entity
    }

    mutating func newNote(in caseID: EntityID, body: String) throws -> [SyncCore.Operation] {
        let created = write { a, _, r in a.create(EntityType.note, inCase: caseID, using: &r) }
        return [created, try write { a, s, _ in try a.set(Note.Field.body, to: .string(body), on: s.entity(created.entity)!) }]
    }

    static func pushBody(_ operations: [SyncCore.Operation], batch: String, reads: [PushBatch.Read] = []) -> Data {
        PushBatch(batch: batch, operations: operations, reads: reads).encoded()
    }

    func push(_ operations: [SyncCore.Operation], batch: String? = nil, via client: any TestClientProtocol) async throws -> Reply {
        try await client.call(.post, "/v1/push", token: token,
                              document: Self.pushBody(operations, batch: batch ?? "b-\(operations.first?.id.description ?? "empty")"))
    }

    /// Pulls until the server has nothing more; applies what arrives.
    mutating func pull(via client: any TestClientProtocol, limit: Int = 1000) async throws -> Int {
        var received = 0
        while true {
            let query = (cursor.map { "cursor=\($0)&" } ?? "") + "limit=\(limit)"
            let reply = try await client.call(.get, "/v1/pull?\(query)", token: token)
            try #require(reply.status == .ok, "pull failed: \(reply.raw)")
            let page = try reply.page()
            try state.apply(page.operations)
            author.observe(page.operations)
            received += page.operations.count
            removedCases.append(contentsOf: page.removedCases.map(\.description))
            cursor = page.cursor
            if !page.hasMore { return received }
        }
    }
}
