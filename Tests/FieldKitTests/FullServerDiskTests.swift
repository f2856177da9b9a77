import AsyncHTTPClient
import FieldKit
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import ReviewPages
import SyncCore
import SyncService
import SyncTestSupport
import Testing

/// `field sync` against the real `sync-server` whose data directory sits on a
/// small tmpfs that a filler file has filled: the sync stops at once with a message that
/// the server's disk is full, exits non-zero, and keeps every change in the
/// outbox; once there is room, the next sync pushes them all.
///
/// Mounting needs root, which CI and the test machines have (`id -u` is 0);
/// elsewhere the test is reported as skipped, never as passed.
/// `SyncRetryTests` checks without root that `storage-full` is not retried.
@Suite struct FullServerDiskTests {
    static func waiting(_ home: String) async throws -> Int64? {
        let status = try FieldCommandJourneyTests.json(try await FieldCommandJourneyTests.succeed(["status", "--json"], home: home))
        return status.member("waitingOperations")?.integerValue
    }

    /// Without root: the server's one database connection, which the test
    /// holds too, may grow no further (`PRAGMA max_page_count`), so SQLite
    /// answers `SQLITE_FULL` as on a full disk.
    @Test func aSyncStopsAtOnceWhenTheServerCannotStoreAndPushesAllLater() async throws {
        let connection = try DatabaseQueue()
        let database = try ServerDatabase(writer: connection, passwordVerifier: .forTests)
        try await database.addUser("anna", role: .caseworker, password: TwoLaptopsTests.password, bcryptCost: 4)
        let app = Application(router: buildRouter(database: database, frontEnds: [ReviewPages()]), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let anna = try await TwoLaptopsTests.laptop("anna", server: "http://127.0.0.1:\(client.port!)")
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await anna.sync()
            try await connection.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA max_page_count = \(try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0)")
            }
            for _ in 0..<5 {
                _ = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: String(repeating: "Hjemmebesøg. ", count: 10_000))
            }
            let waiting = try await anna.replica.status().waitingOperations
            #expect(waiting > 0)
            await #expect(throws: FieldError.serverStorageFull) { try await anna.sync() }
            #expect(try await anna.replica.status().waitingOperations == waiting)

            try await connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
            #expect(try await anna.sync().pushed == waiting)
            #expect(try await anna.replica.status().waitingOperations == 0)
        }
    }

    /// The operations the server holds, from `/health`.
    static func operationsOnServer(port: Int) async throws -> Int64? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return try OperationCodec.parse(Data(body.readableBytesView), path: "health").member("operations")?.integerValue
    }

    @Test(.enabled(if: SmallFileSystem.canMount, "mounting a small tmpfs needs root"))
    func aSyncToAServerWithAFullDiskStopsAndKeepsTheChanges() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        let disk = try SmallFileSystem(megabytes: 40)
        defer { try? disk.unmount() }
        do {
            let process = try ServerProcess(dataDirectory: URL(fileURLWithPath: disk.path).appendingPathComponent("sync-data"))
            #expect(try process.run(["user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4"],
                                    input: TwoLaptopsTests.password + "\n") == 0)
            try process.start()
            let port = process.port
            let server = "http://127.0.0.1:\(port)"
            let anna = FieldCommandJourneyTests.newHome("anna")
            try await FieldCommandJourneyTests.login("anna", server: server, home: anna)
            let caseID = try await FieldCommandJourneyTests.succeed(["case", "new", "Familien Holm"], home: anna)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await FieldCommandJourneyTests.succeed(["note", "add", caseID, "--kind", "home-visit", "--title", "Første besøg"], home: anna,
                                                           input: "Mor og Emil var hjemme.")
            _ = try await FieldCommandJourneyTests.succeed(["sync"], home: anna)
            let storedBefore = try #require(try await Self.operationsOnServer(port: port))

            try disk.fill()
            for index in 0..<5 {
                _ = try await FieldCommandJourneyTests.succeed(
                    ["note", "add", caseID, "--kind", "network-meeting", "--title", "Netværksmøde \(index)"], home: anna,
                    input: String(repeating: "Skolen, sundhedsplejersken og mor deltog. ", count: 5_000))
            }
            let waitingBefore = try #require(try await Self.waiting(anna))
            #expect(waitingBefore > 0)
            let sync = try await FieldCommandJourneyTests.field(["sync"], home: anna)
            #expect(sync.status != 0)
            #expect(sync.error.contains("the sync server cannot store changes right now: its disk is full"), "\(sync.error)")
            #expect(sync.error.contains("Your changes are kept on this laptop"))
            #expect(sync.error.contains("try field sync again later"))
            #expect(!sync.error.contains("refused"), "a full disk is not a refusal of the changes: \(sync.error)")
            #expect(try await Self.waiting(anna) == waitingBefore, "the outbox lost changes")
            #expect(try await Self.operationsOnServer(port: port) == storedBefore)

            try disk.removeFiller()
            let output = try await FieldCommandJourneyTests.succeed(["sync"], home: anna)
            #expect(output.contains("pushed \(waitingBefore)"), "\(output)")
            #expect(try await Self.waiting(anna) == 0)
            #expect(try await Self.operationsOnServer(port: port) == storedBefore + waitingBefore)
            #expect(process.terminate() == 0)
        }
    }
}
