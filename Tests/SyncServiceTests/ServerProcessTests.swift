import AsyncHTTPClient
import Foundation
import NIOCore
import SyncCore
import SyncTestSupport
import Testing

struct HTTPReply {
    let status: Int
    /// Parsed, for answers that are no wire type (the audit log, health).
    let body: JSONValue
    let data: Data
    var retryAfter: String?

    var problem: ProblemDocument? { status >= 400 ? try? ProblemDocument.decode(data) : nil }
    func page() throws -> PullPage { try PullPage.decode(data) }
    func signedIn() throws -> DeviceSignInAnswer { try DeviceSignInAnswer.decode(data) }
}

extension HTTPClient {
    enum Method { case get, post }

    /// `document`: a wire type's encoded bytes.
    /// `timeout`: longer for a server in the test process itself, whose
    /// handlers wait while the suite's CPU-bound tests hold every thread.
    func call(
        _ method: Method, _ url: String, token: String? = nil, document: Data? = nil, timeout: TimeAmount = .seconds(30)
    ) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method == .post ? .POST : .GET
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let document {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: document))
        }
        let response = try await execute(request, timeout: timeout)
        let data = Data(buffer: try await response.body.collect(upTo: 64 * 1024 * 1024))
        return HTTPReply(status: Int(response.status.code), body: (try? OperationCodec.parse(data, path: "")) ?? .null, data: data,
                         retryAfter: response.headers.first(name: "Retry-After"))
    }

    /// Signs in as a new device (`POST /v1/devices`).
    func signIn(
        at base: String, _ user: String, password: String, deviceName: String = "process test", timeout: TimeAmount = .seconds(30)
    ) async throws -> HTTPReply {
        try await call(.post, "\(base)/v1/devices", document: DeviceSignIn(user: user, password: password, deviceName: deviceName).encoded(),
                       timeout: timeout)
    }
}

@Suite(.serialized) struct ServerProcessTests {
    static let password = "correct horse battery"

    func login(_ client: HTTPClient, _ server: ServerProcess, _ user: String) async throws -> Laptop {
        let reply = try await client.signIn(at: "http://127.0.0.1:\(server.port)", user, password: Self.password)
        try #require(reply.status == 201)
        let answer = try reply.signedIn()
        return Laptop(user: UserID(user)!, token: answer.token, replica: answer.device)
    }

    /// Pushes run continuously from several laptops while the server is killed
    /// with SIGKILL, three times. Every operation whose push was acknowledged
    /// must be there after each restart.
    @Test func acknowledgedPushesSurviveKillNine() async throws {
        let server = try ServerProcess()
        #expect(try server.run(["user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4"], input: Self.password + "\n") == 0)
        #expect(try server.run(["user", "add", "dorte", "--role", "supervisor", "--password-stdin", "--bcrypt-cost", "4"], input: Self.password + "\n") == 0)
        try server.start()
        let client = HTTPClient.shared

        var laptops: [Laptop] = []
        for _ in 0..<4 { laptops.append(try await login(client, server, "anna")) }
        let acknowledged = Acknowledged()

        for round in 0..<3 {
            let port = server.port
            let pushers = laptops.enumerated().map { index, laptop in
                Task { () -> Laptop in
                    var laptop = laptop
                    var caseID: EntityID? = laptop.state.entities.values.first { $0.entityType == EntityType.caseFile }?.id
                    var pending: [SyncCore.Operation] = []
                    for batch in 0..<10_000 {
                        if pending.isEmpty {
                            if let caseID {
                                pending = try laptop.newNote(in: caseID, body: "round \(round) batch \(batch) laptop \(index)")
                            } else {
                                pending = try laptop.newCase(title: "Case of laptop \(index)")
                                caseID = pending[0].entity
                            }
                        }
                        let reply: HTTPReply
                        do {
                            reply = try await client.call(.post, "http://127.0.0.1:\(port)/v1/push", token: laptop.token,
                                                          document: Laptop.pushBody(pending, batch: "r\(round)-b\(batch)-\(pending[0].id)"))
                        } catch {
                            return laptop  // the server is gone: unacknowledged, kept for the next round
                        }
                        guard reply.status == 200 else { Issue.record("push refused: \(reply.body)"); return laptop }
                        await acknowledged.add(pending.map(\.id))
                        pending = []
                    }
                    return laptop
                }
            }
            try await Task.sleep(for: .milliseconds(1500))
            server.kill9()
            laptops = try await pushers.asyncMap { try await $0.value }
            try server.start()

            var dorte = try await login(client, server, "dorte")
            var held: Set<OperationID> = []
            var cursor: String?
            repeat {
                let query = cursor.map { "?cursor=\($0)" } ?? ""
                let reply = try await client.call(.get, "http://127.0.0.1:\(server.port)/v1/pull\(query)", token: dorte.token)
                try #require(reply.status == 200)
                let page = try reply.page()
                held.formUnion(page.operations.map(\.id))
                cursor = page.cursor
                if !page.hasMore { break }
            } while true
            dorte.cursor = cursor
            let acked = await acknowledged.ids
            #expect(!acked.isEmpty, "round \(round): nothing was acknowledged before the kill")
            #expect(acked.isSubset(of: held), "round \(round): \(acked.subtracting(held).count) acknowledged operations lost")
        }
        #expect(server.terminate() == 0, "SIGTERM drains and exits cleanly")
    }

    @Test func sigtermStopsTheServerCleanly() async throws {
        let server = try ServerProcess()
        try server.start()
        let client = HTTPClient.shared
        #expect(try await client.call(.get, "http://127.0.0.1:\(server.port)/health").status == 200)
        #expect(server.terminate() == 0)
    }
}

actor Acknowledged {
    private(set) var ids: Set<OperationID> = []
    func add(_ new: [OperationID]) { ids.formUnion(new) }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
