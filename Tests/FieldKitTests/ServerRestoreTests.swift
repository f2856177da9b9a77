import FieldKit
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// The office restores its server from last night's backup: the real
/// `sync-server` process and the real `field` command of three laptops.
/// Everything acknowledged to a laptop after the backup must come back, once.
@Suite(.serialized) struct ServerRestoreTests {
    typealias Journey = FieldCommandJourneyTests

    static func addUsers(_ server: ServerProcess) throws {
        for (name, role) in [("anna", "caseworker"), ("bo", "caseworker"), ("carl", "caseworker"), ("dorte", "supervisor")] {
            let added = try server.run(["user", "add", name, "--role", role, "--password-stdin", "--bcrypt-cost", "4"],
                                       input: TwoLaptopsTests.password + "\n")
            try #require(added == 0)
        }
    }

    /// The database as `field`'s SQLite file holds it: the ids are plaintext.
    static func operationIDs(ofLaptop home: String) throws -> Set<String> {
        try operationIDs(inDatabase: FieldPaths.resolve(home: home).database.path)
    }

    static func operationIDs(inDatabase path: String) throws -> Set<String> {
        let queue = try DatabaseQueue(path: path)
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM operation") })
    }

    static func operationIDs(ofServer server: ServerProcess) throws -> Set<String> {
        let queue = try DatabaseQueue(path: server.dataDirectory.appendingPathComponent("server.sqlite").path)
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM operation") })
    }

    static func outboxCount(ofLaptop home: String) throws -> Int {
        let queue = try DatabaseQueue(path: FieldPaths.resolve(home: home).database.path)
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }

    static func databaseFiles(in directory: URL) -> [String] {
        ["server.sqlite", "server.sqlite-wal", "server.sqlite-shm"].filter {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path)
        }
    }

    /// Stops the server and copies its database aside, as README's backup
    /// section says (the copy after SIGTERM).
    static func backUp(_ server: ServerProcess, to backup: URL) throws {
        #expect(server.terminate() == 0)
        try FileManager.default.createDirectory(at: backup, withIntermediateDirectories: true)
        for name in databaseFiles(in: server.dataDirectory) {
            try FileManager.default.copyItem(at: server.dataDirectory.appendingPathComponent(name), to: backup.appendingPathComponent(name))
        }
    }

    static func restore(_ server: ServerProcess, from backup: URL) throws {
        #expect(server.terminate() == 0)
        for name in databaseFiles(in: server.dataDirectory) {
            try FileManager.default.removeItem(at: server.dataDirectory.appendingPathComponent(name))
        }
        for name in databaseFiles(in: backup) {
            try FileManager.default.copyItem(at: backup.appendingPathComponent(name), to: server.dataDirectory.appendingPathComponent(name))
        }
    }

    static func noteTitles(_ caseID: String, home: String) async throws -> [String] {
        let list = try Journey.json(try await Journey.succeed(["note", "list", caseID, "--json"], home: home))
        return list.arrayValue.compactMap { $0.member("title")?.stringValue }.sorted()
    }

    @Test func laptopsSendAgainWhatARestoredServerLostAndEveryoneEndsWithEverythingOnce() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        let server = try ServerProcess()
        try Self.addUsers(server)
        try server.start()
        var address = "http://127.0.0.1:\(server.port)"
        let (anna, bo, dorte, carl) = (Journey.newHome("anna"), Journey.newHome("bo"), Journey.newHome("dorte"), Journey.newHome("carl"))
        for (user, home) in [("anna", anna), ("bo", bo), ("dorte", dorte)] { try await Journey.login(user, server: address, home: home) }

        // Before the backup: anna's case, shared with bo by the supervisor.
        let holm = try await Journey.succeed(["case", "new", "Familien Holm"], home: anna).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await Journey.succeed(["note", "add", holm, "--kind", "home-visit", "--title", "Første besøg"], home: anna, input: "Mor og Emil.")
        _ = try await Journey.succeed(["sync"], home: anna)
        _ = try await Journey.succeed(["sync"], home: dorte)
        _ = try await Journey.succeed(["case", "share", holm, "--with", "bo"], home: dorte)
        for home in [dorte, bo] { _ = try await Journey.succeed(["sync"], home: home) }

        let backup = FileManager.default.temporaryDirectory.appendingPathComponent("backup-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: backup) }
        try Self.backUp(server, to: backup)
        try server.start()
        address = "http://127.0.0.1:\(server.port)"
        for home in [anna, bo, dorte] {
            // The port is new each start; the laptops keep their sign-in.
            try Self.pointLaptop(home: home, at: address)
        }

        // After the backup, all acknowledged: a new case, notes, edits.
        let berg = try await Journey.succeed(["case", "new", "Familien Berg"], home: anna).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await Journey.succeed(["note", "add", berg, "--kind", "phone", "--title", "Opringning fra skolen"], home: anna, input: "Skolen ringede.")
        let meeting = try await Journey.succeed(["note", "add", holm, "--kind", "network-meeting", "--title", "Netværksmøde"], home: anna, input: "Skolen deltog.")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await Journey.succeed(["sync"], home: anna)
        _ = try await Journey.succeed(["sync"], home: bo)
        _ = try await Journey.succeed(["note", "add", holm, "--kind", "home-visit", "--title", "Bos besøg"], home: bo, input: "Far var hjemme.")
        _ = try await Journey.succeed(["note", "edit", meeting, "--title", "Netværksmøde på skolen"], home: bo)
        _ = try await Journey.succeed(["sync"], home: bo)
        let dorteCase = try await Journey.succeed(["case", "new", "Familien Dal"], home: dorte).trimmingCharacters(in: .whitespacesAndNewlines)
        // carl signs in on his laptop only now: the backup knows no device of his.
        try await Journey.login("carl", server: address, home: carl)
        let carlCase = try await Journey.succeed(["case", "new", "Familien Eng"], home: carl).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await Journey.succeed(["note", "add", carlCase, "--kind", "phone", "--title", "Første kontakt"], home: carl, input: "Mor ringede.")
        _ = try await Journey.succeed(["sync"], home: carl)
        let carlDevice = try #require(try FieldSettings.load(from: FieldPaths.resolve(home: carl))?.device)
        for home in [dorte, anna, bo, dorte] { _ = try await Journey.succeed(["sync"], home: home) }
        let acknowledged = try Self.operationIDs(ofServer: server) // read while it runs: WAL readers are fine
        // Not yet sent when the server goes down: bo edits anna's new note
        // (an entity the restored server will not know), anna her new case.
        _ = try await Journey.succeed(["note", "edit", meeting, "--title", "Netværksmøde på Holm Skole"], home: bo)
        _ = try await Journey.succeed(["note", "add", berg, "--kind", "home-visit", "--title", "Hjemmebesøg hos Berg"], home: anna, input: "Alle hjemme.")
        let expectedTitles = try await Self.noteTitles(holm, home: bo)

        try Self.restore(server, from: backup)
        try server.start()
        address = "http://127.0.0.1:\(server.port)"
        for home in [anna, bo, dorte, carl] { try Self.pointLaptop(home: home, at: address) }
        #expect(try Self.operationIDs(ofServer: server).count < acknowledged.count)

        // carl's laptop is unknown to the restored server: he signs in again
        // and it takes the same device back, sequence and all.
        let unknown = try await Journey.field(["sync"], home: carl)
        #expect(unknown.status != 0 && unknown.error.contains("sign in again with field login"), "\(unknown.error)")
        try await Journey.login("carl", server: address, home: carl)
        #expect(try FieldSettings.load(from: FieldPaths.resolve(home: carl))?.device == carlDevice)
        #expect(try await Journey.succeed(["sync"], home: carl).contains("the server had lost"))

        // bo first: his edits of anna's note must wait until anna's laptop has
        // sent the note again; his own lost note goes at once.
        let early = try await Journey.field(["sync"], home: bo)
        #expect(early.status != 0, "\(early.output)")
        #expect(early.output.contains("the server had lost"), "\(early.output)")
        #expect(early.output.contains("changes to case \(holm) wait on this laptop"), "\(early.output)")
        // The two title edits: one sent again, one never sent.
        #expect(try Self.outboxCount(ofLaptop: bo) == 2)
        let annaSync = try await Journey.succeed(["sync"], home: anna)
        #expect(annaSync.contains("the server had lost"), "\(annaSync)")
        for home in [dorte, bo, anna, carl, dorte, bo] { _ = try await Journey.succeed(["sync"], home: home) }

        // Everything acknowledged before the restore is on the server again,
        // with what was written offline since, and every laptop holds what
        // the server holds of its cases: once, by id.
        let onServer = try Self.operationIDs(ofServer: server)
        #expect(acknowledged.isSubset(of: onServer), "lost: \(acknowledged.subtracting(onServer).count)")
        #expect(try Self.operationIDs(ofLaptop: dorte) == onServer)
        let onAnna = try Self.operationIDs(ofLaptop: anna)
        let onBo = try Self.operationIDs(ofLaptop: bo)
        #expect(onAnna.isSubset(of: onServer) && onBo.isSubset(of: onServer))
        #expect(try Self.operationIDs(ofLaptop: carl).isSubset(of: onServer))
        for home in [anna, bo, dorte, carl] { #expect(try Self.outboxCount(ofLaptop: home) == 0) }
        for home in [anna, bo, dorte] {
            #expect(try await Self.noteTitles(holm, home: home) == expectedTitles.map {
                $0 == "Netværksmøde på skolen" ? "Netværksmøde på Holm Skole" : $0
            }.sorted())
        }
        #expect(try await Self.noteTitles(berg, home: dorte) == ["Hjemmebesøg hos Berg", "Opringning fra skolen"])
        let cases = try Journey.json(try await Journey.succeed(["case", "list", "--json"], home: dorte)).arrayValue
        #expect(Set(cases.compactMap { $0.member("case")?.stringValue }) == [holm, berg, dorteCase, carlCase])
        #expect(try await Self.noteTitles(carlCase, home: dorte) == ["Første kontakt"])
        _ = server.terminate()
    }

    /// A laptop's settings name the server; a test server gets a new port at
    /// each start.
    static func pointLaptop(home: String, at address: String) throws {
        let paths = FieldPaths.resolve(home: home)
        var settings = try #require(try FieldSettings.load(from: paths))
        settings.server = address
        try JSONEncoder().encode(settings).write(to: paths.settings)
    }

    /// Serves `database` over real HTTP for the length of `body`.
    static func serving<T: Sendable>(_ database: ServerDatabase, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let app = Application(router: buildRouter(database: database), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }

    @Test func aCursorTheServerNoLongerKnowsStartsThePullOverWithoutDuplicates() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg")
            _ = try await anna.sync()
            let held = try Self.operationIDs(inDatabase: anna.paths.database.path)
            // A cursor of a server restored from a backup taken before it.
            let queue = try DatabaseQueue(path: anna.paths.database.path)
            try await queue.write { db in try db.execute(sql: "UPDATE clientState SET cursor = 'c00000000000000000000000000000000'") }
            let report = try await anna.sync()
            #expect(report.pulledFromStart)
            #expect(report.pulled == held.count)
            #expect(try Self.operationIDs(inDatabase: anna.paths.database.path) == held)
            // The new cursor is the server's: the next sync is an ordinary one.
            #expect(try await anna.sync().pulledFromStart == false)
        }
    }

    /// A supervisor's change that the restored server lost, sent again after
    /// the supervisor became a caseworker: refused now for good. It must not
    /// hold up the outbox, and the caseworker is told.
    @Test func aLostChangeTheServerNowRefusesLeavesTheOutboxAndIsReported() async throws {
        let database = try ServerDatabase.inMemory()
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: TwoLaptopsTests.password, bcryptCost: 4)
        }
        let backup = try DatabaseQueue()
        let (laptop, caseID, share) = try await Self.serving(database) { server in
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: dorte, members: ["dorte"])
            _ = try await dorte.sync()
            try await database.writer.backup(to: backup)
            let share = try await dorte.replica.write { author, lookup in
                [try author.add(.string("bo"), to: Case.Field.members, on: try lookup(caseID)!)]
            }
            _ = try await dorte.sync()
            return (dorte, caseID, share[0].id)
        }
        let restoredQueue = try DatabaseQueue()
        try backup.backup(to: restoredQueue)
        let restored = try ServerDatabase(writer: restoredQueue, passwordVerifier: .forTests)
        try await restoredQueue.write { db in try db.execute(sql: "UPDATE user SET role = 'caseworker' WHERE name = 'dorte'") }
        try await Self.serving(restored) { server in
            let report = try await SyncEngine.forTesting(laptop, server: server).run()
            #expect(report.resent == 1)
            #expect(report.notRestored == [share: "membership-change-not-allowed"])
            #expect(report.waitingCases.isEmpty)
            #expect(try await laptop.replica.status().waitingOperations == 0)
            // Kept in the laptop's history, where the change was made.
            #expect(try await laptop.replica.entity(caseID)?.orderedOperations.contains { $0.id == share } == true)
        }
    }
}
