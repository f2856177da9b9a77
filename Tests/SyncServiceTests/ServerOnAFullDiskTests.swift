import AsyncHTTPClient
import Foundation
import GRDB
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// The real `sync-server` with its data directory on a small tmpfs that a
/// filler file fills: pushes are answered `503 storage-full`, the operator is
/// told once, and once the filler is gone the server stores again with
/// everything it acknowledged before intact.
///
/// Mounting needs root, which CI and the test machines have (`id -u` is 0);
/// elsewhere the test is reported as skipped, never as passed, and
/// `StorageFullTests` covers the same answers without root.
@Suite(.serialized) struct ServerOnAFullDiskTests {
    static let password = "correct horse battery"

    static func login(_ user: String, port: Int) async throws -> Laptop {
        let reply = try await HTTPClient.shared.signIn(at: "http://127.0.0.1:\(port)", user, password: password, deviceName: "full disk test")
        try #require(reply.status == 201, "sign-in of \(user): \(reply.status) \(reply.body)")
        let answer = try reply.signedIn()
        return Laptop(user: UserID(user)!, token: answer.token, replica: answer.device)
    }

    static func metric(_ name: String, port: Int) async throws -> Double? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics")
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let text = String(buffer: try await response.body.collect(upTo: 16 * 1024 * 1024))
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// Waits for a line the server logs as it answers (the pipe to this
    /// process is read in the background); fails after 30 s.
    static func waitForLog(_ server: ServerProcess, _ text: String, count: Int = 1) async throws -> Bool {
        for _ in 0..<300 {
            if server.logged.components(separatedBy: text).count - 1 >= count { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    @Test(.enabled(if: SmallFileSystem.canMount, "mounting a small tmpfs needs root"))
    func pushesOnAFullDiskWaitAndEverythingAcknowledgedSurvives() async throws {
        let disk = try SmallFileSystem(megabytes: 48)
        defer { try? disk.unmount() }
        let dataDirectory = URL(fileURLWithPath: disk.path).appendingPathComponent("sync-data")
        do {
            let server = try ServerProcess(dataDirectory: dataDirectory)
            for (user, role) in [("anna", "caseworker"), ("dorte", "supervisor")] {
                #expect(try server.run(["user", "add", user, "--role", role, "--password-stdin", "--bcrypt-cost", "4"], input: Self.password + "\n") == 0)
            }
            try server.start()
            let port = server.port
            var anna = try await Self.login("anna", port: port)
            var acknowledged = Set<OperationID>()
            let newCase = try anna.newCase(title: "Familien Holm")
            let caseID = newCase[0].entity
            func push(_ operations: [SyncCore.Operation]) async throws -> HTTPReply {
                let reply = try await HTTPClient.shared.call(.post, "http://127.0.0.1:\(port)/v1/push", token: anna.token,
                                                             document: Laptop.pushBody(operations, batch: "b-\(operations[0].id)"))
                if reply.status == 200 { acknowledged.formUnion(operations.map(\.id)) }
                return reply
            }
            #expect(try await push(newCase).status == 200)
            for index in 0..<20 {
                #expect(try await push(try anna.newNote(in: caseID, body: "Besøg nummer \(index) hos familien Holm.")).status == 200)
            }
            #expect(try await Self.metric("sync_storage_full", port: port) == 0)

            // Full: the log and its index grow only into room that is gone.
            try disk.fill()
            var refused: [SyncCore.Operation] = []
            for index in 0..<5_000 {
                let note = try anna.newNote(in: caseID, body: String(repeating: "Netværksmøde \(index) på skolen. ", count: 60))
                let reply = try await push(note)
                if reply.status != 200 {
                    refused = note
                    #expect(reply.status == 503)
                    #expect(reply.problem?.code == "storage-full", "\(reply.body)")
                    #expect(reply.retryAfter == "60")
                    break
                }
            }
            try #require(!refused.isEmpty, "the pushes never met the full disk")
            // The laptops keep trying: still refused, told once in the log.
            for _ in 0..<20 {
                let reply = try await push(refused)
                #expect(reply.status == 503 && reply.problem?.code == "storage-full")
            }
            // A small write may still fit where the write-ahead log has room
            // already; it does not end the episode while the disk is full.
            for _ in 0..<3 {
                let pull = try await HTTPClient.shared.call(.get, "http://127.0.0.1:\(port)/v1/pull", token: anna.token)
                #expect(pull.status == 200 || pull.problem?.code == "storage-full", "\(pull.body)")
            }
            #expect(try await Self.metric("sync_storage_full", port: port) == 1)
            #expect(try await Self.metric("sync_storage_full_total", port: port) ?? 0 >= 21)
            #expect(try await Self.waitForLog(server, "the disk is full"))
            // The background checkpoints fail too, four times a second; let
            // a few rounds of them pass: they are logged once as well.
            try await Task.sleep(for: .seconds(2))
            #expect(server.logged.components(separatedBy: "the disk is full").count - 1 == 1,
                    "one error for the whole episode:\n\(server.logged)")
            #expect(server.logged.components(separatedBy: "checkpoint failed").count - 1 <= 1, "\(server.logged)")

            // Room again: the refused batch and new ones are stored.
            try disk.removeFiller()
            #expect(try await push(refused).status == 200)
            for index in 0..<5 {
                #expect(try await push(try anna.newNote(in: caseID, body: "Efter oprydningen \(index).")).status == 200)
            }
            #expect(try await Self.metric("sync_storage_full", port: port) == 0)
            #expect(try await Self.waitForLog(server, "the disk has room again"))
            if server.logged.contains("checkpoint failed") {
                #expect(try await Self.waitForLog(server, "checkpoints work again"))
            }

            var dorte = try await Self.login("dorte", port: port)
            var held = Set<OperationID>()
            while true {
                let query = dorte.cursor.map { "?cursor=\($0)" } ?? ""
                let reply = try await HTTPClient.shared.call(.get, "http://127.0.0.1:\(port)/v1/pull\(query)", token: dorte.token)
                try #require(reply.status == 200, "\(reply.body)")
                let page = try reply.page()
                held.formUnion(page.operations.map(\.id))
                dorte.cursor = page.cursor
                if !page.hasMore { break }
            }
            #expect(acknowledged.isSubset(of: held), "\(acknowledged.subtracting(held).count) acknowledged operations are gone")
            #expect(server.terminate() == 0, "SIGTERM drains and exits cleanly")

            let database = try DatabaseQueue(path: dataDirectory.appendingPathComponent("server.sqlite").path)
            #expect(try await database.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") } == ["ok"])
            try database.close()
        }
    }

    /// Opening the database writes (the write-ahead log's index, which a clean
    /// stop removed): on a full disk that stops at once with one line.
    @Test(.enabled(if: SmallFileSystem.canMount, "mounting a small tmpfs needs root"))
    func aServerThatCannotOpenOnAFullDiskSaysSoInOneLine() async throws {
        let disk = try SmallFileSystem(megabytes: 8)
        defer { try? disk.unmount() }
        do {
            let server = try ServerProcess(dataDirectory: URL(fileURLWithPath: disk.path).appendingPathComponent("sync-data"))
            #expect(try server.run(["user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4"], input: Self.password + "\n") == 0)
            // As a clean stop leaves the directory: no index of the
            // write-ahead log (SQLite rebuilds it from the log when no process
            // has the database open), which the next opening must write.
            try? FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent("server.sqlite-shm"))
            try disk.fill()
            let (status, errors) = try server.runCapturingErrors(["user", "list"])
            #expect(status != 0)
            let lines = errors.split(separator: "\n")
            #expect(lines.count == 1, "\(errors)")
            #expect(errors.contains("its disk is full") && errors.contains("make room on it"), "\(errors)")
            try disk.removeFiller()
            #expect(try server.run(["user", "list"]) == 0)
        }
    }

    /// On a full disk SQLite still writes where its write-ahead log has room
    /// already, so a small write (a pull's cursor) can succeed between refused
    /// pushes: that must not end the episode, or every such pair would log
    /// twice. It ends once the file system has room for a push again.
    @Test(.enabled(if: SmallFileSystem.canMount, "mounting a small tmpfs needs root"))
    func aSmallWriteOnAFullDiskDoesNotEndTheEpisode() throws {
        let disk = try SmallFileSystem(megabytes: 24)
        defer { try? disk.unmount() }
        let log = LogRecorder()
        let watch = StorageFullWatch(logger: log.logger, databasePath: disk.path + "/server.sqlite")
        try disk.fill()
        watch.refused(StorageFull(description: "database or disk is full"), requests: 1)
        watch.stored()
        watch.refused(StorageFull(description: "database or disk is full"), requests: 1)
        #expect(log.messages(at: .error).count == 1)
        #expect(log.messages(at: .notice).isEmpty)
        try disk.removeFiller()
        watch.stored()
        #expect(log.messages(at: .notice).count == 1)
        watch.refused(StorageFull(description: "database or disk is full"), requests: 1)
        #expect(log.messages(at: .error).count == 2, "a new episode is told again")
    }
}
