import FieldKit
import Foundation
import Hummingbird
import HummingbirdTesting
import ReviewPages
import SyncCore
import SyncService
import Testing

/// End to end: a real sync server over real HTTP (Hummingbird's live test
/// server), and field clients in separate homes, as two laptops would be.
@Suite struct TwoLaptopsTests {
    static let password = "correct horse battery"

    @discardableResult
    static func withServer<T: Sendable>(_ body: @escaping @Sendable (ServerDatabase, String) async throws -> T) async throws -> T {
        let database = try ServerDatabase.inMemory()
        try await addUsers(to: database)
        return try await serving(database) { server in try await body(database, server) }
    }

    /// anna and bo, caseworkers, and dorte, a supervisor.
    static func addUsers(to database: ServerDatabase) async throws {
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: password, bcryptCost: 4)
        }
    }

    /// Serves `database` over real HTTP for the length of `body`.
    static func serving<T: Sendable>(_ database: ServerDatabase, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let app = Application(router: buildRouter(database: database, frontEnds: [ReviewPages()]), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)") }
    }

    static func laptop(_ user: String, server: String) async throws -> FieldSession {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("laptop-\(user)-\(UUID().uuidString)")
        return try await FieldSession.login(
            paths: FieldPaths.resolve(home: home.path), server: server, user: user, password: password,
            deviceName: "\(user)'s laptop", secret: { .passphrase("laptop secret of \(user)") })
    }

    static func newCase(on laptop: FieldSession, members: [String]) async throws -> EntityID {
        try await laptop.replica.createEntity(
            EntityType.caseFile, inCase: nil, fields: [], elements: members.map { (Case.Field.members, .string($0)) })
    }

    static func newNote(on laptop: FieldSession, in caseID: EntityID, body: String) async throws -> EntityID {
        try await laptop.replica.createEntity(EntityType.note, inCase: caseID, fields: [(Note.Field.body, .string(body))])
    }

    static func setBody(on laptop: FieldSession, note: EntityID, to body: String) async throws {
        try await laptop.replica.write { author, lookup in [try author.set(Note.Field.body, to: .string(body), on: try lookup(note)!)] }
    }

    @Test func concurrentOfflineEditsConvergeToTheSameConflictEverywhere() async throws {
        try await Self.withServer { database, server in
            let anna = try await Self.laptop("anna", server: server)
            let dorte = try await Self.laptop("dorte", server: server)
            let caseID = try await Self.newCase(on: anna, members: ["anna"])
            let note = try await Self.newNote(on: anna, in: caseID, body: "Hjemmebesøg hos familien Holm.")
            _ = try await anna.sync()
            _ = try await dorte.sync()

            // Both offline: each edits the same note body.
            try await Self.setBody(on: anna, note: note, to: "Mor og Emil til stede.")
            try await Self.setBody(on: dorte, note: note, to: "Far deltog telefonisk.")
            _ = try await anna.sync()
            _ = try await dorte.sync()
            _ = try await anna.sync()

            let onAnna = try #require(try await anna.replica.entity(note))
            let onDorte = try #require(try await dorte.replica.entity(note))
            #expect(EntitySnapshot(onAnna) == EntitySnapshot(onDorte))
            let conflicts = onAnna.conflicts().filter(\.isOpen)
            #expect(conflicts.count == 1)
            #expect(Set(conflicts.first?.values.map(\.value) ?? []) == ["Mor og Emil til stede.", "Far deltog telefonisk."])
            let onServer = try await database.conflicts(.init(caseIDs: [caseID]))
            #expect(onServer == conflicts.map { $0.jsonValue() }.map { record in
                // The server adds when it received each value; compare the rest.
                guard case .object(var members) = record, case .array(let values)? = members["values"] else { return record }
                members["values"] = .array(values.enumerated().map { index, value in
                    guard case .object(var fields) = value, case .object(let serverRecord) = onServer.first,
                          case .array(let serverValues)? = serverRecord["values"], case .object(let serverValue) = serverValues[index]
                    else { return value }
                    fields["receivedAt"] = serverValue["receivedAt"]
                    return .object(fields)
                })
                return .object(members)
            })
            #expect(try await anna.replica.status().waitingOperations == 0)
        }
    }

    @Test func aNoteFinalizedOnOneLaptopAndEditedOnTheOtherKeepsTheEditAsAnAddendum() async throws {
        try await Self.withServer { _, server in
            let anna = try await Self.laptop("anna", server: server)
            let dorte = try await Self.laptop("dorte", server: server)
            let caseID = try await Self.newCase(on: anna, members: ["anna"])
            let note = try await Self.newNote(on: anna, in: caseID, body: "Netværksmøde på skolen.")
            _ = try await anna.sync()
            _ = try await dorte.sync()
            try await anna.replica.write { author, lookup in [try author.finalize(try lookup(note)!)] }
            try await Self.setBody(on: dorte, note: note, to: "Skolen var ikke repræsenteret.")
            _ = try await anna.sync()
            _ = try await dorte.sync()
            _ = try await anna.sync()
            for laptop in [anna, dorte] {
                let state = try #require(try await laptop.replica.entity(note))
                let view = try #require(Note(state))
                #expect(view.status == .finalized)
                #expect(view.body == "Netværksmøde på skolen.")
                #expect(view.addenda.map(\.value.value) == ["Skolen var ikke repræsenteret."])
            }
        }
    }

    /// Feedforward: one current next step per case. Anna and Bo each set the
    /// next step of a case that has none, offline; after sync both laptops
    /// show the two steps as competing, `field conflicts` lists the conflict
    /// and the agenda shows both, marked; the supervisor keeps one, and after
    /// the next sync both laptops show that one alone.
    @Test func twoNextStepsSetOfflineAreAConflictUntilTheSupervisorKeepsOne() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        typealias CLI = FieldCommandJourneyTests
        try await Self.withServer { database, server in
            let (anna, bo, dorte) = (CLI.newHome("anna"), CLI.newHome("bo"), CLI.newHome("dorte"))
            for (user, home) in [("anna", anna), ("bo", bo), ("dorte", dorte)] { try await CLI.login(user, server: server, home: home) }
            let caseID = try await CLI.succeed(["case", "new", "Familien Holm"], home: anna).trimmingCharacters(in: .whitespacesAndNewlines)
            _ = try await CLI.succeed(["sync"], home: anna)
            _ = try await CLI.succeed(["sync"], home: dorte)
            _ = try await CLI.succeed(["case", "share", caseID, "--with", "bo"], home: dorte)
            _ = try await CLI.succeed(["sync"], home: dorte)
            _ = try await CLI.succeed(["sync"], home: bo)

            // Offline, each sets the case's next step: neither has seen the other's.
            _ = try await CLI.succeed(["next-step", "set", caseID, "Netværksmøde på skolen", "--due", "2026-12-01"], home: anna)
            _ = try await CLI.succeed(["next-step", "set", caseID, "Hjemmebesøg", "--due", "2026-12-03"], home: bo)
            for home in [anna, bo, anna, dorte] { _ = try await CLI.succeed(["sync"], home: home) }

            for home in [anna, bo] {
                let shown = try await CLI.succeed(["case", "show", caseID], home: home)
                #expect(shown.contains("2 competing next steps"), "\(shown)")
                #expect(shown.contains("Netværksmøde på skolen") && shown.contains("Hjemmebesøg"), "\(shown)")
                let json = try CLI.json(try await CLI.succeed(["case", "show", caseID, "--json"], home: home))
                #expect(json.member("competingNextSteps")?.arrayValue.count == 2)
                let conflicts = try await CLI.succeed(["conflicts"], home: home)
                #expect(conflicts.contains("\(caseID)/nextStep/concurrent-values"), "\(conflicts)")
                #expect(conflicts.contains("next step: Hjemmebesøg"), "\(conflicts)")
                let agenda = try await CLI.succeed(["agenda"], home: home)
                #expect(agenda.components(separatedBy: "\n").filter { $0.contains("IN CONFLICT") }.count == 2, "\(agenda)")
            }
            // The server's conflict log holds it like any other conflict.
            let logged = try await database.conflicts(.init(caseIDs: [try #require(EntityID(caseID))]))
            #expect(logged.compactMap { $0.member("id")?.stringValue } == ["\(caseID)/nextStep/concurrent-values"])
            #expect(try await database.openConflictCount() == 1)

            // Dorte keeps Bo's step, with a reason.
            let merged = try await CLI.field(["conflicts", "resolve", "\(caseID)/nextStep/concurrent-values", "--value-file", "/dev/null",
                                              "--reason", "x"], home: dorte)
            #expect(merged.status != 0 && merged.error.contains("use --pick N"), "\(merged.error)")
            let kept = try await CLI.field(["conflicts", "resolve", "\(caseID)/nextStep/concurrent-values", "--keep-finalized",
                                            "--reason", "x"], home: dorte)
            #expect(kept.status != 0 && kept.error.contains("not a change to a finalized note"), "\(kept.error)")
            let both = try await CLI.field(["conflicts", "resolve", "\(caseID)/nextStep/concurrent-values", "--keep-finalized", "--pick", "1",
                                            "--reason", "x"], home: dorte)
            #expect(both.status != 0 && both.error.split(separator: "\n").count == 1 && both.error.contains("exactly one of"), "\(both.error)")
            let listed = try CLI.json(try await CLI.succeed(["conflicts", "--json"], home: dorte))
            let values = listed.arrayValue.first?.member("values")?.arrayValue ?? []
            let bosStep = try #require(values.firstIndex { $0.member("author")?.stringValue == "bo" })
            _ = try await CLI.succeed(["conflicts", "resolve", "\(caseID)/nextStep/concurrent-values", "--pick", "\(bosStep + 1)",
                                       "--reason", "Hjemmebesøget kommer først; aftalt med Anna og Bo"], home: dorte)
            for home in [dorte, anna, bo] { _ = try await CLI.succeed(["sync"], home: home) }
            #expect(try await database.openConflictCount() == 0)

            for home in [anna, bo] {
                let shown = try await CLI.succeed(["case", "show", caseID], home: home)
                #expect(shown.contains("Next step: Hjemmebesøg — due 2026-12-03"), "\(shown)")
                #expect(!shown.contains("competing"), "\(shown)")
                // The step not kept is still there to read, said to be set aside.
                #expect(shown.contains("Set aside (open, but no longer the case's next step): Netværksmøde på skolen"), "\(shown)")
                let json = try CLI.json(try await CLI.succeed(["case", "show", caseID, "--json"], home: home))
                #expect(json.member("nextSteps")?.arrayValue.compactMap { $0.member("inForce") } == [.bool(true), .bool(false)]
                    || json.member("nextSteps")?.arrayValue.compactMap { $0.member("inForce") } == [.bool(false), .bool(true)])
                #expect(try await CLI.succeed(["conflicts"], home: home).contains("no open conflicts"))
                let agenda = try await CLI.succeed(["agenda"], home: home)
                #expect(agenda.contains("Hjemmebesøg") && !agenda.contains("Netværksmøde") && !agenda.contains("IN CONFLICT"), "\(agenda)")
            }
            // Done, then the next one: one step, no conflict.
            _ = try await CLI.succeed(["next-step", "done", caseID], home: bo)
            _ = try await CLI.succeed(["next-step", "set", caseID, "Opfølgende møde", "--due", "2026-12-15"], home: bo)
            for home in [bo, anna] { _ = try await CLI.succeed(["sync"], home: home) }
            let shown = try await CLI.succeed(["case", "show", caseID], home: anna)
            #expect(shown.contains("Next step: Opfølgende møde — due 2026-12-15") && !shown.contains("competing"), "\(shown)")
            #expect(try await database.openConflictCount() == 0)
        }
    }

    /// A case whose steps an earlier version wrote (the case names none) may
    /// hold several open steps, as the bug left them: case show lists them all.
    @Test func aCaseWithSeveralOpenStepsFromAnEarlierVersionShowsThemAll() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        typealias CLI = FieldCommandJourneyTests
        try await Self.withServer { _, server in
            let home = CLI.newHome("anna")
            try await CLI.login("anna", server: server, home: home)
            let caseID = try await CLI.succeed(["case", "new", "Familien Holm"], home: home).trimmingCharacters(in: .whitespacesAndNewlines)
            let laptop = try FieldSession.open(paths: FieldPaths.resolve(home: home), secret: { .passphrase("laptop secret") })
            for (text, due) in [("Hjemmebesøg", "2026-12-03"), ("Netværksmøde på skolen", "2026-12-01")] {
                _ = try await laptop.replica.createEntity(
                    EntityType.nextStep, inCase: try #require(EntityID(caseID)),
                    fields: [(NextStep.Field.text, .string(text)), (NextStep.Field.due, .string(due)), (NextStep.Field.status, "open")])
            }
            let shown = try await CLI.succeed(["case", "show", caseID], home: home)
            #expect(shown.contains("Next step: Netværksmøde på skolen — due 2026-12-01"), "\(shown)")
            #expect(shown.contains("Also open: Hjemmebesøg — due 2026-12-03"), "\(shown)")
        }
    }

    @Test func aRevokedLaptopDeletesItsDataAtTheNextSync() async throws {
        try await Self.withServer { database, server in
            let anna = try await Self.laptop("anna", server: server)
            let caseID = try await Self.newCase(on: anna, members: ["anna"])
            _ = try await Self.newNote(on: anna, in: caseID, body: "Følsomme oplysninger om barnet.")
            _ = try await anna.sync()
            try await database.revokeDevice(anna.settings.device)
            await #expect(throws: FieldError.self) { try await anna.sync() }
            #expect(!FileManager.default.fileExists(atPath: anna.paths.database.path))
            #expect(!FileManager.default.fileExists(atPath: anna.paths.legacyPlainToken.path))
        }
    }

    @Test func theLocalFilesHoldNoNoteTextAndAWrongPassphraseChangesNothing() async throws {
        try await Self.withServer { _, server in
            let anna = try await Self.laptop("anna", server: server)
            let caseID = try await Self.newCase(on: anna, members: ["anna"])
            let secretWords = "Emil fortalte om mobning i frikvarteret"
            _ = try await Self.newNote(on: anna, in: caseID, body: secretWords)
            _ = try await anna.sync()
            for directory in [anna.paths.data, anna.paths.config] {
                for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                    let bytes = try Data(contentsOf: directory.appendingPathComponent(file))
                    #expect(bytes.range(of: Data("mobning".utf8)) == nil, "\(file) holds note text")
                    #expect(bytes.range(of: Data("Emil".utf8)) == nil, "\(file) holds note text")
                }
            }
            let before = try Data(contentsOf: anna.paths.database)
            #expect(throws: FieldError.wrongPassphrase) {
                try FieldSession.open(paths: anna.paths, secret: { .passphrase("not the passphrase") })
            }
            #expect(try Data(contentsOf: anna.paths.database) == before)
        }
    }

    @Test func anUnreachableServerKeepsTheChangesForTheNextSync() async throws {
        let laptop = try await Self.withServer { _, server in try await Self.laptop("anna", server: server) }
        let caseID = try await Self.newCase(on: laptop, members: ["anna"])
        _ = try await Self.newNote(on: laptop, in: caseID, body: "Skrevet uden net.")
        // Nothing listens on port 1: the connection is refused at once.
        var engine = SyncEngine.forTesting(laptop, server: "http://127.0.0.1:1")
        engine.retryDelays = [.milliseconds(10)]
        await #expect(throws: FieldError.self) { try await engine.run() }
        #expect(try await laptop.replica.status().waitingOperations == 4)
    }
}
