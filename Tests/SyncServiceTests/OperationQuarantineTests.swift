import Foundation
import GRDB
import SyncCore
import SyncPersistence
@testable import SyncService
import SyncTestSupport
import Testing

/// At the upgrade, operations an earlier server stored that the write rules
/// refuse leave the log for `quarantinedOperation`: a new laptop's first sync
/// would stop on them, and a frozen or taken-over case is repaired.
@Suite struct OperationQuarantineTests {
    @Test func refusedOperationsLeaveTheLogAndTheCaseIsRepaired() throws {
        let queue = try DatabaseQueue()
        try ServerMigrations.migrator.migrate(queue, upTo: "server v2 read quota")
        var random = SeededRandom(seed: 3)
        let clock = ManualWallClock()
        var anna = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("anna")!, wallClock: clock)
        var bo = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("bo")!, wallClock: clock)
        var state = ReplicaState()
        func write(_ operations: [SyncCore.Operation]) throws -> [SyncCore.Operation] {
            try state.apply(operations)
            return operations
        }
        // Anna's case, shared with bo; a note in it.
        let created = anna.create(EntityType.caseFile, inCase: nil, using: &random)
        let caseID = created.entity
        var stored = try write([created])
        stored += try write([try anna.add("anna", to: Case.Field.members, on: state.entity(caseID)!),
                             try anna.add("bo", to: Case.Field.members, on: state.entity(caseID)!)])
        let note = anna.create(EntityType.note, inCase: caseID, using: &random)
        stored += try write([note])
        stored += try write([try anna.set(Note.Field.body, to: "Hjemmebesøg.", on: state.entity(note.entity)!)])
        // What the old rules let bo do: freeze the case, and re-create it
        // stamped before anna's creation; and a type no version accepts.
        clock.advance(by: 1_000)
        let freeze = try bo.finalize(state.entity(caseID)!)
        let template = bo.delete(state.entity(caseID)!)
        let takeOver = SyncCore.Operation(
            id: OperationID(timestamp: HLCTimestamp(milliseconds: HLCTimestamp.earliestMilliseconds, counter: 0), replica: bo.replica),
            seq: template.seq, author: bo.user, caseID: caseID, entity: caseID, change: .create(entityType: EntityType.caseFile))
        let recording = bo.create("meetingRecording", inCase: caseID, using: &random)
        stored += [freeze, takeOver, recording]

        try queue.write { db in
            _ = try OperationLog.apply(stored, receivedAt: 1, codec: OperationCodec(), in: db)
            // And a body this version can no longer read.
            let (cluster, last): (Int64, Int64) = try Row.fetchOne(
                db, sql: "SELECT cluster, last FROM logCase WHERE caseID = ?", arguments: [caseID.description]).map { ($0[0], $0[1]) }!
            try db.execute(sql: """
                INSERT INTO operation (position, id, replica, seq, caseID, entity, receivedAt, body) VALUES (?, 'unreadable', 'r', 1, ?, ?, 1, x'7b7d')
                """, arguments: [cluster << 32 | (last + 1), caseID.description, caseID.description])
            try db.execute(sql: "UPDATE logCase SET last = ? WHERE caseID = ?", arguments: [last + 1, caseID.description])
        }
        try ServerMigrations.migrator.migrate(queue)

        try queue.read { db in
            let quarantined = try Row.fetchAll(db, sql: "SELECT id, code FROM quarantinedOperation ORDER BY id")
            #expect(Set(quarantined.map { $0["id"] as String }) == Set([freeze, takeOver, recording].map(\.id.description) + ["unreadable"]))
            #expect(Set(quarantined.map { $0["code"] as String }) == ["kind-not-allowed", "entity-exists", "unknown-entity-type", "undecodable"])
            let left = try Data.fetchAll(db, sql: "SELECT body FROM operation ORDER BY position").map { try OperationCodec().decode($0) }
            #expect(left.count == stored.count - 3)
            // What a new laptop pulls passes its checks.
            var held = HeldEntityIndex()
            for operation in left {
                try WriteRules.checkForms([operation], holding: held, values: false)
                held.record([operation])
            }
            let members = try String.fetchAll(db, sql: "SELECT user FROM caseMember WHERE caseID = ? ORDER BY user", arguments: [caseID.description])
            #expect(members == ["anna", "bo"])
            let audit = try Row.fetchOne(db, sql: "SELECT caseID, detail FROM auditEvent WHERE action = 'operations-quarantined'")
            #expect(audit?["caseID"] == caseID.description)
        }
    }
}
