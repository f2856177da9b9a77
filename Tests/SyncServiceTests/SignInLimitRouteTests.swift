import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
@testable import ReviewPages
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// The sign-in limits as a client meets them, on `POST /v1/devices` and on
/// the review pages' form, with the server's clock in the test's hand.
@Suite struct SignInLimitRouteTests {
    let clock = ManualWallClock()

    func harness(passwordVerifier: PasswordVerifier = .shared) async throws -> ServerDatabase {
        let database = try ServerDatabase.inMemory(clock: clock, passwordVerifier: passwordVerifier)
        for (name, role) in [("anna", UserRole.caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: ServerHarness.password, bcryptCost: 4)
        }
        return database
    }

    func test<Value: Sendable>(
        _ database: ServerDatabase, limits: SignInLimits = .standard,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        let app = Application(router: buildRouter(database: database, frontEnds: [ReviewPages()], signInLimits: limits))
        return try await app.test(.router) { client in try await body(client) }
    }

    static func signIn(_ user: String, _ password: String, forwardedFor: String? = nil,
                       via client: any TestClientProtocol) async throws -> Reply {
        guard let forwardedFor else {
            return try await client.call(.post, "/v1/devices", document: DeviceSignIn(user: user, password: password, deviceName: "test laptop").encoded())
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.xForwardedFor] = forwardedFor
        let body = DeviceSignIn(user: user, password: password, deviceName: "test laptop").encoded()
        let response = try await client.execute(uri: "/v1/devices", method: .post, headers: headers, body: ByteBuffer(data: body))
        let raw = String(buffer: response.body)
        return Reply(status: response.status, headers: response.headers,
                     body: (try? OperationCodec.parse(Data(raw.utf8), path: "")) ?? .null, raw: raw)
    }

    @Test func afterFiveWrongPasswordsTheNameIsRefusedWith429AndRetryAfterUntilTheWaitIsOver() async throws {
        let database = try await harness()
        try await test(database) { client in
            for _ in 0..<5 {
                #expect(try await Self.signIn("anna", "wrong password here", via: client).problemCode == "invalid-credentials")
            }
            let refused = try await Self.signIn("anna", ServerHarness.password, via: client)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.problemCode == "too-many-attempts")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.problem?.retryAfter == 1)
            #expect(refused.headers[.contentType] == "application/problem+json")

            clock.advance(by: 1_000)
            #expect(try await Self.signIn("anna", ServerHarness.password, via: client).status == .created)
            #expect(try await Self.signIn("anna", "wrong password here", via: client).status == .unauthorized,
                    "the success reset the count")
        }
        let throttled = try await database.auditEvents(.init(actor: "anna")).filter { $0.action == "login-throttled" }
        #expect(throttled.count == 1)
        #expect(throttled.first?.detail.member("limit") == "user")
        #expect(throttled.first?.detail.member("source") == "unknown", "the in-process test client has no peer address")
    }

    @Test func theReviewSignInSharesTheCountAndAnswersWithAPageInDanishAndEnglish() async throws {
        let database = try await harness()
        try await test(database) { client in
            for _ in 0..<3 { _ = try await Self.signIn("Dorte", "wrong password here", via: client) }
            var browser = ReviewBrowser()
            for _ in 0..<2 {
                #expect(try await browser.signIn("dorte", password: "wrong password here", via: client).status == .unauthorized)
            }
            let refused = try await browser.signIn("dorte", via: client)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "1")
            #expect(refused.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(refused.html.contains("For mange forkerte forsøg. Prøv igen om 1 sekund."))
            #expect(refused.html.contains("Too many failed attempts. Try again in 1 second."))
            #expect(refused.csrf != nil, "the form is shown again")
            #expect(browser.cookies[ReviewAuthenticator.cookieName] == nil)
            clock.advance(by: 1_000)
            #expect(try await browser.signIn("dorte", via: client).status == .seeOther)
        }
        let throttled = try await database.auditEvents(.init(actor: "dorte")).filter { $0.action == "login-throttled" }
        #expect(throttled.count == 1 && throttled.first?.detail.member("via") == "review")
    }

    @Test func xForwardedForIsIgnoredUnlessTheOperatorTrustsIt() async throws {
        let database = try await harness()
        var limits = SignInLimits.standard
        limits.failuresPerAddress = 3
        try await test(database, limits: limits) { client in
            for index in 0..<3 {
                let reply = try await Self.signIn("guess\(index)", "wrong password here", forwardedFor: "192.0.2.\(index)", via: client)
                #expect(reply.status == .unauthorized)
            }
            let refused = try await Self.signIn("guess9", "wrong password here", forwardedFor: "192.0.2.99", via: client)
            #expect(refused.status == .tooManyRequests, "a header the client wrote does not make it someone else")
        }
        limits.trustForwardedFor = true
        try await test(database, limits: limits) { client in
            for index in 0..<3 {
                _ = try await Self.signIn("guess\(index)", "wrong password here", forwardedFor: "192.0.2.\(index), 10.1.1.1", via: client)
            }
            let refused = try await Self.signIn("guess9", "wrong password here", forwardedFor: "192.0.2.99, 10.1.1.1", via: client)
            #expect(refused.status == .tooManyRequests, "only the last entry, the one the proxy appended, counts")
            let other = try await Self.signIn("guess9", "wrong password here", forwardedFor: "10.1.1.1, 10.2.2.2", via: client)
            #expect(other.status == .unauthorized, "another address the proxy names is checked")
        }
    }

    @Test func whenEveryPasswordCheckIsTakenASignInGets503AndRetryAfterInsteadOfQueueing() async throws {
        let verifier = PasswordVerifier(threads: 1, maximumWaiting: 0)
        let database = try await harness(passwordVerifier: verifier)
        let release = DispatchSemaphore(value: 0)
        let occupant = Task { try await verifier.run { release.wait() } }
        while verifier.inFlight == 0 { await Task.yield() }
        try await test(database) { client in
            let response = try await client.execute(
                uri: "/v1/devices", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(data: DeviceSignIn(user: "anna", password: "correct horse battery", deviceName: "x").encoded()))
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "1")
            #expect(try ProblemDocument.decode(Data(buffer: response.body)).code == "sign-in-busy")
        }
        release.signal()
        try await occupant.value
        try await test(database) { client in
            for _ in 0..<5 { _ = try await client.login("anna") }
        }
        try await verifier.shutdown()
    }
}

/// The real server over real TCP: the address it counts is the connection's
/// peer, here 127.0.0.1.
@Suite struct SignInLimitProcessTests {
    @Test func twentyFailuresFromOneAddressUnderAnyNamesThenA429NamingThatAddress() async throws {
        let server = try ServerProcess()
        #expect(try server.run(["user", "add", "dorte", "--role", "supervisor", "--password-stdin", "--bcrypt-cost", "4"],
                               input: ServerHarness.password + "\n") == 0)
        try server.start()
        defer { _ = server.terminate() }
        let base = "http://127.0.0.1:\(server.port)"
        let client = HTTPClient.shared
        func signIn(_ user: String, _ password: String) async throws -> HTTPReply {
            try await client.signIn(at: base, user, password: password)
        }
        let supervisor = try await signIn("dorte", ServerHarness.password)
        let token = try supervisor.signedIn().token
        for index in 0..<20 {
            #expect(try await signIn("guess\(index)", "wrong password here").status == 401)
        }
        let refused = try await signIn("guess20", "wrong password here")
        #expect(refused.status == 429)
        #expect(refused.problem?.code == "too-many-attempts")
        let audit = try await client.call(.get, "\(base)/v1/audit?user=guess20", token: token)
        guard case .array(let events)? = audit.body.member("events") else {
            Issue.record("no events: \(audit.body)")
            return
        }
        let throttled = events.first { $0.member("action") == "login-throttled" }
        #expect(throttled?.member("detail")?.member("source") == "127.0.0.1")
        #expect(throttled?.member("detail")?.member("limit") == "address")
    }
}
