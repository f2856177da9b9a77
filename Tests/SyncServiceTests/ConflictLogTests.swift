import Foundation
import GRDB
import HummingbirdTesting
@testable import SyncService
import SyncCore
import Testing

@Suite struct ConflictLogTests {
    /// A push that creates an entity merges it from the batch as decoded; the
    /// conflict log it writes must be what a merge of the stored log gives.
    @Test func anEntityNewInTheBatchIsLoggedAsTheStoredLogMergesIt() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let note = try anna.newNote(in: caseOps[0].entity, body: "Første udkast")
            // Two sets of the body on the same state: concurrent, so an open conflict
            // inside the very batch that creates the note.
            let before = anna.state
            let first = try anna.author.set(Note.Field.body, to: "Mor deltog", on: before.entity(note[0].entity)!)
            let second = try anna.author.set(Note.Field.body, to: "Far deltog", on: before.entity(note[0].entity)!)
            let reply = try await anna.push(caseOps + note + [first, second], via: client)
            #expect(reply.status == .ok, "\(reply.raw)")

            let (logged, expected) = try await Self.loggedAndMerged(note[0].entity, in: harness.database)
            #expect(logged.count == 1 && logged.first?[1] == "true", "\(logged)")
            #expect(logged == expected)
        }
    }

    /// Regression: a batch that carried one new operation as many times as
    /// the entity then had operations looked like a batch creating the entity,
    /// so its conflict was merged from that operation alone and the log kept
    /// the conflict as it was before the push.
    @Test func anOperationRepeatedInABatchIsMergedOnce() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            var anna = try await client.login("anna")
            let caseOps = try anna.newCase(title: "Familien Holm")
            let note = try anna.newNote(in: caseOps[0].entity, body: "Første udkast")
            let noteID = note[0].entity
            let before = try #require(anna.state.entity(noteID))
            let first = try anna.author.set(Note.Field.body, to: "Mor deltog", on: before)
            let second = try anna.author.set(Note.Field.body, to: "Far deltog", on: before)
            #expect(try await anna.push(caseOps + note + [first, second], via: client).status == .ok)

            // A third concurrent value, sent as many times as the note will
            // then hold operations.
            let third = try anna.author.set(Note.Field.body, to: "Begge deltog", on: before)
            let held = note.filter { $0.entity == noteID }.count + 3
            let reply = try await anna.push(Array(repeating: third, count: held), via: client)
            #expect(reply.status == .ok, "\(reply.raw)")

            let (logged, expected) = try await Self.loggedAndMerged(noteID, in: harness.database)
            #expect(expected.count == 1 && expected[0][2].contains("Begge deltog"))
            #expect(logged == expected)
        }
    }

    /// The entity's conflict rows as the log holds them, and as a merge of
    /// every stored operation of it gives them: id, open, document.
    static func loggedAndMerged(_ entity: EntityID, in database: ServerDatabase) async throws -> (logged: [[String]], merged: [[String]]) {
        let codec = OperationCodec()
        return try await database.writer.read { db in
            let logged = try Row.fetchAll(db, sql: "SELECT id, isOpen, document FROM conflict WHERE entity = ? ORDER BY id",
                                          arguments: [entity.description]).map {
                [$0["id"] as String, "\($0["isOpen"] as Bool)", String(decoding: $0["document"] as Data, as: UTF8.self)]
            }
            let merged = try ConflictLog.merge(entity, codec: codec, in: db)
            let expected = merged.state.conflicts().sorted { $0.id < $1.id }.map { record in
                [record.id, "\(record.isOpen)",
                 String(decoding: OperationCodec.canonicalBytes(record.jsonValue { merged.receivedAt[$0] }), as: UTF8.self)]
            }
            return (logged, expected)
        }
    }
}
