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

            let logged = try await harness.database.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT id, isOpen, document FROM conflict WHERE entity = ? ORDER BY id",
                                 arguments: [note[0].entity.description]).map { [$0["id"] as String, "\($0["isOpen"] as Bool)", String(decoding: $0["document"] as Data, as: UTF8.self)] }
            }
            let codec = OperationCodec()
            let expected = try await harness.database.writer.read { db in
                let merged = try ConflictLog.merge(note[0].entity, codec: codec, in: db)
                return merged.state.conflicts().sorted { $0.id < $1.id }.map { record in
                    [record.id, "\(record.isOpen)",
                     String(decoding: OperationCodec.canonicalBytes(record.jsonValue { merged.receivedAt[$0] }), as: UTF8.self)]
                }
            }
            #expect(logged.count == 1 && logged.first?[1] == "true", "\(logged)")
            #expect(logged == expected)
        }
    }
}
