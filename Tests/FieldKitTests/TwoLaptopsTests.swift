import FieldKit
import Foundation
import Hummingbird
import HummingbirdTesting
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
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker), ("dorte", .supervisor)] {
            try await database.addUser(name, role: role, password: password, bcryptCost: 4)
        }
        let app = Application(router: buildRouter(database: database), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.live) { client in
            try await body(database, "http://127.0.0.1:\(client.port!)")
        }
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
