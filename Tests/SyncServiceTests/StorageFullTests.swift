import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import ReviewPages
import Synchronization
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// What a server logged, kept for a test to read.
final class LogRecorder: Sendable {
    let entries = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "sync-server") { _ in RecordingLogHandler(recorder: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        entries.withLock { $0.filter { $0.level == level }.map(\.message) }
    }
}

struct RecordingLogHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        recorder.entries.withLock { $0.append((event.level, event.message.description)) }
    }
}

/// A full disk without root and without a hook in the server: the test holds
/// the server's one database connection too, and `PRAGMA max_page_count` on
/// it is the limit the server's own writes meet, so SQLite answers
/// `SQLITE_FULL` exactly where a full disk would. (The live test on a small
/// tmpfs is `ServerOnAFullDiskTests`.)
@Suite struct StorageFullTests {
    struct FullableServer {
        let connection: DatabaseQueue
        let database: ServerDatabase
        let log = LogRecorder()

        init() async throws {
            connection = try DatabaseQueue()
            // Time stands still: no write the server makes by the clock (a
            // device's last-seen time) comes between the test's own.
            let now = ManualWallClock(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000))
            database = try ServerDatabase(writer: connection, clock: now, passwordVerifier: .forTests, logger: log.logger)
            for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
                try await database.addUser(name, role: role, password: ServerHarness.password, bcryptCost: 4)
            }
        }

        /// No page more than the database has now.
        func fillTheDisk() async throws {
            try await connection.writeWithoutTransaction { db in
                let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
                try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            }
        }

        func makeRoom() async throws {
            try await connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        }

        func test<Value: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
            try await Application(router: buildRouter(database: database, frontEnds: [ReviewPages()])).test(.router) { client in try await body(client) }
        }
    }

    /// An answer that may be a 503 (`TestClientProtocol.call` expects none).
    struct Answer: @unchecked Sendable {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let body: JSONValue
        let problem: ProblemDocument?

        var code: String? { problem?.code }
    }

    static func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, document: Data? = nil, via client: any TestClientProtocol
    ) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if document != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: document.map { ByteBuffer(data: $0) })
        let data = Data(buffer: response.body)
        return Answer(status: response.status, headers: response.headers, body: (try? OperationCodec.parse(data, path: "")) ?? .null,
                      problem: response.status.code >= 400 ? try? ProblemDocument.decode(data) : nil)
    }

    /// Sends `attempt` until it is answered with anything but success; every
    /// write takes room, so on a full disk that comes within `limit` tries.
    static func untilRefused(limit: Int = 500, _ attempt: () async throws -> Answer) async throws -> Answer {
        for _ in 0..<limit {
            let answer = try await attempt()
            if answer.status.code >= 300 { return answer }
        }
        Issue.record("still stored after \(limit) writes on a full disk")
        return try await attempt()
    }

    static func expectStorageFull(_ answer: Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(answer.status == .serviceUnavailable, sourceLocation: sourceLocation)
        #expect(answer.code == "storage-full", "\(answer.body)", sourceLocation: sourceLocation)
        #expect(answer.headers[.retryAfter] == "60", sourceLocation: sourceLocation)
        #expect(answer.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        #expect(answer.problem?.retryAfter == 60, sourceLocation: sourceLocation)
        #expect(answer.problem?.detail.contains("its disk is full; nothing was stored") == true,
                sourceLocation: sourceLocation)
    }

    static func refusalCount(via client: any TestClientProtocol) async throws -> Int {
        let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
        let line = text.split(separator: "\n").first { $0.hasPrefix("sync_storage_full_total ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    @Test func aPushOnAFullDiskIsAskedToComeBackAndIsStoredOnceThereIsRoom() async throws {
        let server = try await FullableServer()
        try await server.test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            var acknowledged = Set<OperationID>()
            let refusalsBefore = try await Self.refusalCount(via: client)
            try await server.fillTheDisk()

            var refused: [SyncCore.Operation] = []
            let first = try await Self.untilRefused {
                let note = try anna.newNote(in: caseID, body: String(repeating: "Hjemmebesøg hos familien Holm. ", count: 40))
                let answer = try await Self.send(.post, "/v1/push", token: anna.token, document: Laptop.pushBody(note, batch: "b-\(note[0].id)"), via: client)
                if answer.status == .ok { acknowledged.formUnion(note.map(\.id)) } else { refused = note }
                return answer
            }
            Self.expectStorageFull(first)
            let again = try await Self.send(.post, "/v1/push", token: anna.token,
                                            document: Laptop.pushBody(refused, batch: "b-\(refused[0].id)"), via: client)
            Self.expectStorageFull(again)
            #expect(try await Self.refusalCount(via: client) >= refusalsBefore + 2)
            #expect(server.log.messages(at: .error).count == 1, "one error for the episode, not one per request: \(server.log.messages(at: .error))")
            #expect(server.log.messages(at: .error).first?.contains("the disk is full") == true)

            try await server.makeRoom()
            let stored = try await Self.send(.post, "/v1/push", token: anna.token,
                                             document: Laptop.pushBody(refused, batch: "b-\(refused[0].id)"), via: client)
            #expect(stored.status == .ok)
            acknowledged.formUnion(refused.map(\.id))
            #expect(server.log.messages(at: .notice).filter { $0.contains("room again") }.count == 1)

            var dorte = try await client.login("dorte")
            _ = try await dorte.pull(via: client)
            let held = Set(dorte.state.entities.values.flatMap { $0.orderedOperations.map(\.id) })
            #expect(acknowledged.isSubset(of: held), "\(acknowledged.subtracting(held).count) acknowledged operations are missing")
            let integrity = try await server.connection.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
            #expect(integrity == ["ok"])

            // A second episode is told again.
            try await server.fillTheDisk()
            Self.expectStorageFull(try await Self.untilRefused {
                let note = try anna.newNote(in: caseID, body: String(repeating: "Netværksmøde på skolen. ", count: 40))
                return try await Self.send(.post, "/v1/push", token: anna.token, document: Laptop.pushBody(note, batch: "b-\(note[0].id)"), via: client)
            })
            #expect(server.log.messages(at: .error).count == 2)
        }
    }

    /// Pushes that arrive together share a transaction (`GroupCommit`), and
    /// SQLite may roll all of it back on `SQLITE_FULL`: each of them is asked
    /// to come back, none gets a 500, and none that was acknowledged is lost.
    @Test func pushesThatShareATransactionOnAFullDiskAreAllAskedToComeBack() async throws {
        let server = try await FullableServer()
        try await server.test { client in
            var anna = try await client.login("anna")
            let caseID = try await anna.pushNewCase(via: client)
            var laptops: [Laptop] = []
            for _ in 0..<16 { laptops.append(try await client.login("anna")) }
            try await server.fillTheDisk()
            var acknowledged = Set<OperationID>()
            for round in 0..<20 {
                let answers = try await withThrowingTaskGroup(of: ([OperationID], Answer).self) { group in
                    for index in laptops.indices {
                        let note = try laptops[index].newNote(in: caseID, body: String(repeating: "Runde \(round). ", count: 150))
                        let token = laptops[index].token
                        group.addTask {
                            (note.map(\.id), try await Self.send(.post, "/v1/push", token: token,
                                                                 document: Laptop.pushBody(note, batch: "b-\(note[0].id)"), via: client))
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                for (ids, answer) in answers {
                    if answer.status == .ok {
                        acknowledged.formUnion(ids)
                    } else {
                        #expect(answer.status == .serviceUnavailable && answer.code == "storage-full", "\(answer.status) \(answer.body)")
                    }
                }
                if answers.allSatisfy({ $0.1.status != .ok }) { break }
            }
            // A push that still fit between refusals ends the episode here (a
            // database in memory has no file system to ask), so it may be told
            // more than once.
            #expect(!server.log.messages(at: .error).isEmpty)
            try await server.makeRoom()
            var dorte = try await client.login("dorte")
            _ = try await dorte.pull(via: client)
            let held = Set(dorte.state.entities.values.flatMap { $0.orderedOperations.map(\.id) })
            #expect(acknowledged.isSubset(of: held))
        }
    }

    /// Pull (cursors and audit events), sign-in, logout and the review pages
    /// write too, and are answered the same way.
    @Test func everyKindOfWriteOnAFullDiskIsAskedToComeBackLater() async throws {
        let server = try await FullableServer()
        try await server.test { client in
            var anna = try await client.login("anna")
            _ = try await anna.pushNewCase(via: client)
            var laptops: [Laptop] = []
            for _ in 0..<60 { laptops.append(try await client.login("bo")) }
            try await server.fillTheDisk()

            Self.expectStorageFull(try await Self.untilRefused {
                try await Self.send(.get, "/v1/pull", token: anna.token, via: client)
            })
            Self.expectStorageFull(try await Self.untilRefused {
                try await Self.send(.post, "/v1/devices",
                                    document: DeviceSignIn(user: "anna", password: ServerHarness.password, deviceName: "another laptop").encoded(),
                                    via: client)
            })
            var remaining = laptops[...]
            Self.expectStorageFull(try await Self.untilRefused(limit: laptops.count) {
                try await Self.send(.delete, "/v1/devices/current", token: remaining.popFirst()!.token, via: client)
            })

            var answered: ReviewBrowser.Page?
            for _ in 0..<100 {
                var browser = ReviewBrowser()
                browser.acceptsUnavailable = true
                answered = try await browser.signIn("dorte", via: client)
                if answered?.status != .seeOther { break }
            }
            let page = try #require(answered)
            #expect(page.status == .serviceUnavailable)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(page.headers[.retryAfter] == "60")
            #expect(page.html.contains("The server cannot store changes right now"))
            #expect(!page.html.contains("Server error"))

            try await server.makeRoom()
            anna = try await client.login("anna")
            #expect(try await anna.pull(via: client) > 0)
        }
    }
}
