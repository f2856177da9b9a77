@testable import FieldKit
import Foundation
import GRDB
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

    static func restoredCopy(of backup: DatabaseQueue) throws -> ServerDatabase {
        let queue = try DatabaseQueue()
        try backup.backup(to: queue)
        return try ServerDatabase(writer: queue, passwordVerifier: .forTests)
    }

    static func serverHolds(_ database: ServerDatabase, _ id: OperationID) async throws -> Bool {
        try await database.writer.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM operation WHERE id = ?)", arguments: [id.description]) ?? false
        }
    }

    /// dorte, a supervisor, adds bo to her case after the backup; then the
    /// restored server knows her as a caseworker. Returns her laptop, the
    /// backup, and the id of the lost change.
    static func supervisorsLostShare() async throws -> (laptop: FieldSession, backup: DatabaseQueue, share: OperationID) {
        let database = try ServerDatabase.inMemory()
        try await TwoLaptopsTests.addUsers(to: database)
        let backup = try DatabaseQueue()
        let (laptop, share) = try await TwoLaptopsTests.serving(database) { server in
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: dorte, members: ["dorte"])
            _ = try await dorte.sync()
            try await database.writer.backup(to: backup)
            let share = try await dorte.replica.write { author, lookup in
                [try author.add(.string("bo"), to: Case.Field.members, on: try lookup(caseID)!)]
            }
            _ = try await dorte.sync()
            return (dorte, share[0].id)
        }
        return (laptop, backup, share)
    }

    /// The receipt's proof: what the server accepted once it accepts again,
    /// though who may write has changed since (here the writer's role).
    @Test func aLostChangeComesBackWithItsReceiptProofThoughTheRulesForItsWriterChanged() async throws {
        let (laptop, backup, share) = try await Self.supervisorsLostShare()
        let restored = try Self.restoredCopy(of: backup)
        try await restored.writer.write { db in try db.execute(sql: "UPDATE user SET role = 'caseworker' WHERE name = 'dorte'") }
        try await TwoLaptopsTests.serving(restored) { server in
            let report = try await SyncEngine.forTesting(laptop, server: server).run()
            #expect(report.resent == 1 && report.notRestored.isEmpty && report.waitingCases.isEmpty)
            #expect(try await Self.serverHolds(restored, share))
            // A proof is for that operation only: a new change of the same
            // kind by the demoted user is refused (and, never acknowledged,
            // taken back by the laptop: the sync goes on).
            let caseID = try #require(try await laptop.replica.cases().first?.id)
            let added = try await laptop.replica.write { author, lookup in
                [try author.add(.string("anna"), to: Case.Field.members, on: try lookup(caseID)!)]
            }
            let next = try await SyncEngine.forTesting(laptop, server: server).run()
            #expect(next.withdrawn.map(\.operation.id) == added.map(\.id))
            #expect(next.withdrawn.map(\.code) == ["membership-change-not-allowed"])
            #expect(try await !Self.serverHolds(restored, added[0].id))
        }
    }

    /// Acknowledged by a server of an earlier version (no proof), refused now
    /// for good: out of the outbox, reported once, and never sent again, also
    /// when the sync that put it back was cut short.
    @Test func aLostChangeWithoutProofThatIsRefusedNowIsGivenUpOnceAndForAll() async throws {
        let (laptop, backup, share) = try await Self.supervisorsLostShare()
        let queue = try DatabaseQueue(path: laptop.paths.database.path)
        try await queue.write { db in try db.execute(sql: "DELETE FROM acknowledgement") }
        let restored = try Self.restoredCopy(of: backup)
        try await restored.writer.write { db in try db.execute(sql: "UPDATE user SET role = 'caseworker' WHERE name = 'dorte'") }
        try await TwoLaptopsTests.serving(restored) { server in
            // A sync cut short after putting the change back (kill -9): the
            // outbox holds it, and the mark that it was sent before is kept.
            let cut = SyncEngine.forTesting(laptop, server: server)
            _ = try await laptop.replica.requeueLost(heldByServer: [])
            let first = try await cut.run()
            #expect(first.notRestored == [share: "membership-change-not-allowed"])
            #expect(first.waitingCases.isEmpty)
            #expect(try await laptop.replica.status().waitingOperations == 0)
            let second = try await SyncEngine.forTesting(laptop, server: server).run()
            #expect(second.resent == 0 && second.notRestored.isEmpty, "sent and refused again: \(second)")
            // Kept in the laptop's history, where the change was made.
            let caseID = try #require(try await laptop.replica.cases().first?.id)
            #expect(try await laptop.replica.entity(caseID)?.orderedOperations.contains { $0.id == share } == true)
        }
        try queue.close()
    }

    /// A routine handover after the backup; the supervisor's laptop syncs
    /// first after the restore. anna's note, acknowledged before the
    /// handover, comes back with its proof, and her laptop deletes the case
    /// she lost: her pull from the start reports it, as her earlier cursors
    /// in the restored database name it.
    @Test func aHandoverAfterTheBackupKeepsTheNoteAndTakesTheCaseFromTheLaptop() async throws {
        let database = try ServerDatabase.inMemory()
        try await TwoLaptopsTests.addUsers(to: database)
        let backup = try DatabaseQueue()
        let (anna, dorte, caseID, other, note) = try await TwoLaptopsTests.serving(database) { server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            let other = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await anna.sync()
            _ = try await dorte.sync()
            try await database.writer.backup(to: backup)
            let noteEntity = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg")
            let note = try #require(try await anna.replica.entity(noteEntity)?.orderedOperations.first?.id)
            _ = try await anna.sync()
            _ = try await dorte.sync()
            _ = try await dorte.replica.write { author, lookup in
                let state = try lookup(caseID)!
                return [try author.add(.string("bo"), to: Case.Field.members, on: state),
                        try author.remove(.string("anna"), from: Case.Field.members, on: state)]
            }
            _ = try await dorte.sync()
            return (anna, dorte, caseID, other, note)
        }
        let restored = try Self.restoredCopy(of: backup)
        try await TwoLaptopsTests.serving(restored) { server in
            _ = try await SyncEngine.forTesting(dorte, server: server).run()
            try await anna.replica.recordRead(caseID: other, what: "case-show")
            let first = try await SyncEngine.forTesting(anna, server: server).run()
            #expect(try await Self.serverHolds(restored, note), "acknowledged note lost: \(first)")
            #expect(first.removedCases == [caseID])
            #expect(try await anna.replica.entity(caseID) == nil, "anna still holds the case she was removed from")
            #expect(first.waitingCases.isEmpty)
            #expect(try await anna.replica.status().waitingReads == 0, "reads of an unrelated case held back")
        }
    }
}
