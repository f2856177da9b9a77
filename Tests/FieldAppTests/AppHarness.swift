import AsyncHTTPClient
@testable import FieldApp
@testable import FieldKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import PageKit
import ServiceLifecycle
import SyncCore
import Synchronization
import Testing

/// A laptop with an encrypted replica (no server needed: the vault and the
/// settings are made as `field login` makes them) and the app serving it on a
/// free port, reached over real HTTP.
struct AppHarness {
    static let passphrase = "hest batteri hæfteklamme"
    let paths: FieldPaths
    let session: FieldSession
    let address: URL
    let port: Int
    let client: HTTPClient
    /// The secret path every page of this run lives under (`/s/<token>`).
    let base: String
    /// The name of this run's session cookie.
    let cookieName: String
    /// The token every form of this run's browser session carries.
    let csrfToken: String
    let state: AppState

    /// A new laptop home with an empty replica, opened.
    /// With `keyFile`, the vault is opened by a key file there instead of the passphrase.
    static func laptop(keyFile: String? = nil, role: String = "caseworker") throws -> (FieldPaths, FieldSession) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("app-\(UUID().uuidString)")
        let paths = FieldPaths.resolve(home: home.path)
        try paths.createDirectories()
        let secret: Vault.Secret
        if let keyFile {
            try Data((0..<32).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: keyFile))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
            secret = .keyFile(keyFile)
        } else {
            secret = .passphrase(passphrase)
        }
        // Few scrypt rounds: the key derivation is not what is tested.
        _ = try Vault.create(secret: secret, at: paths.vaultHeader, rounds: 1 << 10)
        try FieldSettings(server: "http://127.0.0.1:1", user: "anna", role: role, device: String(repeating: "ab", count: 16))
            .save(to: paths)
        return (paths, try FieldSession.open(paths: paths, secret: { secret }, environment: [:]))
    }

    /// Runs the app over a laptop that `prepare` fills (a new one, or
    /// `laptop`, signed in to a server); `locked` starts it
    /// without the opened data, as when no key is at hand.
    /// `role` is the signed-in user's (supervisors settle conflicts);
    /// `clock` is the time the waits between passphrase tries count by;
    /// with `keptKey`, the data is opened as `field unlock` leaves it.
    /// `keyFile` opens the data with a key file at that path (as `--key-file`);
    /// `idleLock` is how long the data stays open without a request.
    static func with(
        locked: Bool = false, language: Language? = nil, role: String = "caseworker", clock: TestClock = TestClock(),
        keptKey: KeptKey? = nil, keyFile: String? = nil, idleLock: Duration? = AppServer.Configuration.defaultIdleLock,
        laptop signedIn: FieldSession? = nil, sync: SyncRunner = SyncRunner(),
        prepare: (FieldSession) async throws -> Void = { _ in }, _ body: (AppHarness) async throws -> Void
    ) async throws {
        let (paths, typed) = try signedIn.map { ($0.paths, $0) } ?? laptop(keyFile: keyFile, role: role)
        var session = typed
        if let keptKey {
            _ = try FieldSession.unlock(paths: paths, secret: { .passphrase(passphrase) }, for: KeptKey.lifetime, clock: keptKey.clock,
                                        environment: keptKey.environment)
            session = try FieldSession.open(paths: paths, secret: { throw FieldError.noPassphrase }, clock: keptKey.clock,
                                            environment: keptKey.environment)
        }
        try await prepare(session)
        let opened = AsyncStream<URL>.makeStream()
        let server = AppServer(configuration: .init(paths: paths, language: language, port: 0, keyFile: keyFile, idleLock: idleLock),
                               session: locked ? nil : session,
                               logger: Logger(label: "field-app-test"), whenOpened: {}, now: { clock.now }, sync: sync)
        let application = server.application { address in opened.continuation.yield(address) }
        let group = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "field-app-test")))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = opened.stream.makeAsyncIterator()
            guard let address = await iterator.next() else { throw CancellationError() }
            let harness = AppHarness(paths: paths, session: session, address: address, port: address.port ?? 0, client: client,
                                     base: server.state.base, cookieName: server.state.cookie.name, csrfToken: server.state.csrfToken,
                                     state: server.state)
            do {
                try await body(harness)
            } catch {
                try? await client.shutdown()
                await group.triggerGracefulShutdown()
                throw error
            }
            try await client.shutdown()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    struct Answer {
        let status: HTTPResponseStatusCode
        let headers: [(String, String)]
        let body: String

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }

        /// The value of the cookie a Set-Cookie header sets.
        var cookie: String? {
            header("set-cookie")?.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init)
        }
    }

    typealias HTTPResponseStatusCode = UInt

    /// A request for `path` under the app's base path, as every link of the app makes it.
    func request(
        _ path: String, method: String = "GET", cookie: String? = nil, host: String? = nil, headers: [String: String] = [:],
        form: String? = nil
    ) async throws -> Answer {
        try await request(fullPath: base + path, method: method, cookie: cookie, host: host, headers: headers, form: form)
    }

    /// A request for `fullPath` as it is, inside the base path or not.
    func request(
        fullPath: String, method: String = "GET", cookie: String? = nil, host: String? = nil, headers: [String: String] = [:],
        form: String? = nil
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(fullPath)")
        request.method = .init(rawValue: method)
        if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
        if let cookie { request.headers.add(name: "Cookie", value: "\(cookieName)=\(cookie)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        // Generous: in the whole suite, CPU-bound tests can hold every thread of
        // the process for minutes; only a real hang should fail here.
        let response = try await client.execute(request, timeout: .seconds(600))
        let body = try await response.body.collect(upTo: 8 << 20)
        return Answer(status: UInt(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                      body: String(buffer: body))
    }

    /// Posts the case search as the browser does (`encoded` as a form
    /// value) and, unless `following` is false, follows the redirect to its results.
    func search(_ encoded: String, cookie: String, following: Bool = true) async throws -> Answer {
        let posted = try await request("/cases", method: "POST", cookie: cookie, form: "csrf=\(csrfToken)&q=\(encoded)")
        guard following, posted.status == 303, let location = posted.header("location") else { return posted }
        return try await request(fullPath: location, cookie: cookie)
    }

    /// The path and query of the announced one-time address.
    var openingPath: String { address.path + "?" + (address.query ?? "") }

    /// Exchanges the one-time address for the session cookie.
    func signIn() async throws -> String {
        let answer = try await request(fullPath: openingPath)
        #expect(answer.status == 303)
        return try #require(answer.cookie)
    }

    /// The read log rows waiting to be uploaded, oldest first.
    func reads() async throws -> [PushBatch.Read] {
        try await session.replica.pendingReads(limit: 10_000).map(\.read)
    }

    /// The CSRF token of a page's form.
    static func csrf(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }
}

/// Where `field unlock` keeps the key in a test: a private directory in
/// memory, as XDG_RUNTIME_DIR is, and the wall clock its expiry counts by.
final class KeptKey: Sendable {
    static let lifetime: UInt64 = 3_600_000
    let runtime: String
    let clock = SettableWallClock()

    init() throws {
        runtime = "/dev/shm/field-runtime-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: runtime)
    }

    deinit { try? FileManager.default.removeItem(atPath: runtime) }

    var environment: [String: String] { ["XDG_RUNTIME_DIR": runtime] }
}

final class SettableWallClock: WallClock {
    private let now = Mutex<UInt64>(1_795_424_400_000)

    func milliseconds() -> UInt64 { now.withLock { $0 } }

    func advance(by milliseconds: UInt64) { now.withLock { $0 += milliseconds } }
}

/// A clock that stands still until a test moves it.
final class TestClock: Sendable {
    private let start = ContinuousClock.now
    private let elapsed = Mutex<Duration>(.zero)

    var now: ContinuousClock.Instant { start + elapsed.withLock { $0 } }

    func advance(by duration: Duration) {
        elapsed.withLock { $0 += duration }
    }
}

extension FieldSession {
    /// A conflict on a note's body as a sync brings it: this laptop and
    /// dorte's changed it from the same text without seeing each other's change.
    func makeConflict(onNote noteID: EntityID, mine: String, theirs: String) async throws {
        let seen = try #require(try await replica.entity(noteID))
        var random = SystemRandomSource()
        var dorte = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("dorte")!, wallClock: NowClock())
        let operation = try dorte.set(Note.Field.body, to: .string(theirs), on: seen)
        try await editNote(noteID, NoteChanges(body: mine))
        try await replica.storePulled([operation], removedCases: [], cursor: "1")
    }

    /// A case as `field case new` makes it, with participants and a next step.
    @discardableResult
    func makeCase(_ title: String, citizen: String?, step: (text: String, due: String?)? = nil,
                  participants: [(String, Participant.Role)] = []) async throws -> EntityID {
        let me = JSONValue.string(settings.user)
        var fields: [(String, JSONValue)] = [(Case.Field.title, .string(title))]
        if let citizen { fields.append((Case.Field.citizenReference, .string(citizen))) }
        fields += [(Case.Field.status, .string(Case.Status.open.rawValue)), (Case.Field.primaryCaseworker, me)]
        let id = try await replica.createEntity(EntityType.caseFile, inCase: nil, fields: fields, elements: [(Case.Field.members, me)])
        for (name, role) in participants {
            _ = try await replica.createEntity(EntityType.participant, inCase: id,
                                               fields: [(Participant.Field.name, .string(name)), (Participant.Field.role, .string(role.rawValue))])
        }
        if let step {
            var stepFields: [(String, JSONValue)] = [(NextStep.Field.text, .string(step.text)), (NextStep.Field.responsible, me),
                                                     (NextStep.Field.status, .string(NextStep.Status.open.rawValue))]
            if let due = step.due { stepFields.append((NextStep.Field.due, .string(due))) }
            // Written as another client may write it: a step without a
            // deadline, which FieldKit's `setNextStep` never makes.
            let fields = stepFields
            try await replica.write { author, lookup in
                var random = SystemRandomSource()
                return try author.createNextStep(fields, in: try #require(try lookup(id)), using: &random)
            }
        }
        return id
    }
}
