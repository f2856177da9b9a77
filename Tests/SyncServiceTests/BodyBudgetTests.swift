import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import ReviewPages
import SyncCore
@testable import SyncService
import Testing

/// The budget on request bodies read at once: what fits is admitted, what
/// does not waits its turn, and what waits too long is refused with 503.
@Suite struct BodyBudgetTests {
    @Test func bodiesThatFitAreAdmittedAndOneThatDoesNotIsRefusedWhenItMayNotWait() async {
        let budget = BodyBudget(capacity: 100, maximumWait: .zero)
        #expect(await budget.reserve(60))
        #expect(await budget.reserve(40))
        #expect(await !budget.reserve(1), "full")
        await budget.release(60)
        #expect(await budget.reserve(50))
        #expect(await budget.bytesInUse == 90)
    }

    @Test func aBodyLargerThanTheWholeBudgetIsReadAlone() async {
        let budget = BodyBudget(capacity: 100, maximumWait: .zero)
        #expect(await budget.reserve(1_000))
        #expect(await !budget.reserve(1))
        await budget.release(1_000)
        #expect(await budget.bytesInUse == 0)
    }

    @Test func aWaitingBodyIsAdmittedWhenAnEarlierOneIsDoneAndBeforeLaterOnes() async throws {
        let budget = BodyBudget(capacity: 100, maximumWait: .seconds(600))
        #expect(await budget.reserve(100))
        let large = Task { await budget.reserve(80) }
        while await budget.waitingCount < 1 { await Task.yield() }
        let small = Task { await budget.reserve(10) }
        while await budget.waitingCount < 2 { await Task.yield() }
        // The small one would fit beside the large one but not overtake it.
        await budget.release(100)
        #expect(await large.value)
        #expect(await small.value)
        #expect(await budget.bytesInUse == 90)
    }

    @Test func aBodyThatWaitsTooLongIsRefused() async {
        let budget = BodyBudget(capacity: 100, maximumWait: .milliseconds(50))
        #expect(await budget.reserve(100))
        #expect(await !budget.reserve(1))
        #expect(await budget.waitingCount == 0)
    }

    /// Through the HTTP API: with the budget taken, a push is answered
    /// `503 server-busy` with `Retry-After`; once it is free, the same push is stored.
    @Test func aPushIsRefusedWithRetryAfterWhileTheBudgetIsFullAndStoredAfterwards() async throws {
        let harness = try await ServerHarness.make()
        let budget = BodyBudget(capacity: 1024 * 1024, maximumWait: .zero)
        try await harness.test(bodyBudget: budget) { client in
            var anna = try await client.login("anna")
            let operations = try anna.newCase(title: "Familien Holm")
            #expect(await budget.reserve(1024 * 1024), "another push holds the whole budget")
            // Not through `call`, which takes any 5xx for a server fault.
            let busy = try await client.execute(
                uri: "/v1/push", method: .post,
                headers: [.authorization: "Bearer \(anna.token)", .contentType: "application/json"],
                body: ByteBuffer(data: Laptop.pushBody(operations, batch: "b1")))
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.contentType] == "application/problem+json")
            #expect(try ProblemDocument.decode(Data(buffer: busy.body)).code == "server-busy")
            #expect(busy.headers[.retryAfter] == "5")
            #expect(try await client.call(.get, "/health").status == .ok, "requests without a body pass")
            await budget.release(1024 * 1024)
            let stored = try await anna.push(operations, batch: "b1", via: client)
            #expect(stored.status == .ok)
            #expect(await budget.bytesInUse == 0, "the push gave its share back")
        }
    }
}

/// One device, one body at a time: a lost laptop's token cannot take the
/// whole budget by opening bodies it never finishes.
@Suite struct OneBodyPerDeviceTests {
    /// The server runs in this process, where the suite's CPU-bound tests can
    /// hold every thread for a minute: HummingbirdTesting's live client gives
    /// up after 20 s (it did, in CI), so these requests wait ten minutes; only
    /// a real hang fails.
    static let patience: TimeAmount = .seconds(600)

    @Test func aSecondBodyOfTheSameDeviceIsRefusedWhileItsFirstIsRead() async throws {
        let harness = try await ServerHarness.make()
        let budget = BodyBudget()
        let listening = AsyncStream<Int>.makeStream()
        let app = Application(router: buildRouter(database: harness.database, frontEnds: [ReviewPages()], bodyBudget: budget),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  if let port = channel.localAddress?.port { listening.continuation.yield(port) }
                              })
        let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "one-body-per-device")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            var ports = listening.stream.makeAsyncIterator()
            let port = try #require(await ports.next())
            let base = "http://127.0.0.1:\(port)"
            func login(_ user: String) async throws -> Laptop {
                let reply = try await HTTPClient.shared.signIn(at: base, user, password: ServerHarness.password, timeout: Self.patience)
                try #require(reply.status == 201, "sign-in of \(user): \(reply.status)")
                let answer = try reply.signedIn()
                return Laptop(user: UserID(user)!, token: answer.token, replica: answer.device)
            }
            func push(_ operations: [SyncCore.Operation], batch: String, by laptop: Laptop) async throws -> HTTPReply {
                try await HTTPClient.shared.call(.post, "\(base)/v1/push", token: laptop.token,
                                                 document: Laptop.pushBody(operations, batch: batch), timeout: Self.patience)
            }
            var anna = try await login("anna")
            var bo = try await login("bo")
            // Anna's first push: the head and a little of a large body, then nothing.
            let stalled = try RawConnection(port: port)
            defer { stalled.shutdown() }
            try stalled.send("POST /v1/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(anna.token)\r\n"
                + "Content-Type: application/json\r\nContent-Length: 16000000\r\n\r\n{\"batch\":")
            // Until the server reads it (its charge is in the budget), not a
            // guessed time: a loaded machine takes longer.
            let deadline = ContinuousClock.now + .seconds(600)
            while await budget.bytesInUse == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            try #require(await budget.bytesInUse > 0, "the first body was never read")
            #expect(try await push(try bo.newCase(title: "Familien Berg"), batch: "b1", by: bo).status == 200,
                    "another device is not held up")
            let second = try await push(try anna.newCase(title: "x"), batch: "b2", by: anna)
            #expect(second.status == 503, "a second body of the same device was read beside the first")
            // Before the shutdown, which waits for the requests in flight.
            stalled.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
