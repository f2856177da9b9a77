@testable import FieldKit
import Foundation
import SyncCore
import SyncTestSupport
import Testing

/// What a settled value may be, before anything is written: the rules
/// `resolveConflict` applies whether `field conflicts resolve` or the app's
/// conflict page asks.
@Suite struct ConflictSettlingRulesTests {
    /// A case whose citizen reference two laptops set at once.
    static func citizenReferenceConflict() throws -> ConflictRecord {
        var random = SeededRandom(seed: 11)
        let clock = ManualWallClock(milliseconds: 1_796_000_000_000)
        var anna = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("anna")!, wallClock: clock)
        var bo = OperationAuthor(replica: ReplicaID(using: &random), user: UserID("bo")!, wallClock: clock)
        var state: EntityState?
        for operation in try LocalReplica.creation(EntityType.caseFile, inCase: nil, fields: [(Case.Field.title, .string("Holm"))],
                                                   elements: [], by: &anna) {
            if state == nil { state = EntityState(id: operation.entity) }
            state!.apply(operation)
        }
        var held = try #require(state)
        let first = try anna.set(Case.Field.citizenReference, to: .string("0101-A"), on: held)
        let second = try bo.set(Case.Field.citizenReference, to: .string("0101-B"), on: held)
        held.apply(first)
        held.apply(second)
        return try #require(held.conflicts().first { $0.field == Case.Field.citizenReference && $0.isOpen })
    }

    @Test func aMergedCitizenReferenceHoldingACPRNumberIsRefused() throws {
        let conflict = try Self.citizenReferenceConflict()
        #expect(throws: FieldError.citizenReferenceIsCPR) {
            _ = try FieldSession.value(.merged("010190-1234"), settling: conflict)
        }
        #expect(try FieldSession.value(.merged("0101-C"), settling: conflict) == .string("0101-C"))
    }

    @Test func keepingAsFinalizedSettlesALateChangeOnly() throws {
        let conflict = try Self.citizenReferenceConflict()
        #expect(throws: FieldError.notALateChange(conflict.id)) {
            _ = try FieldSession.value(.keepAsFinalized, settling: conflict)
        }
    }
}
