import Dispatch
@testable import FieldKit
import Foundation
import GRDB
import SyncCore
import SyncPersistence
import Synchronization
import Testing

/// What a case page and a completed step rest on: a deleted case is not
/// shown, and a step is checked in the transaction that completes it.
@Suite struct CaseConsistencyTests {
    /// A tombstone on a case, as a laptop may hold it from before the write
    /// rules refused one: stored without them.
    static func storeDeletion(of caseID: EntityID, on session: FieldSession) async throws {
        let replica = session.replica
        let caseState = try #require(try await replica.entity(caseID))
        try await replica.writer.write { db in
            let stored = try ClientStateRecord.row.select(ClientStateRecord.Columns.clock, ClientStateRecord.Columns.nextSeq)
                .asRequest(of: Row.self).fetchOne(db)!
            var author = OperationAuthor(
                replica: replica.replica, user: replica.user, wallClock: replica.clock,
                clock: HybridLogicalClock(latest: HLCTimestamp(rawValue: UInt64(stored[0] as Int64))), nextSeq: UInt64(stored[1] as Int64))
            let deletion = author.delete(caseState)
            _ = try OperationLog.apply([deletion], receivedAt: replica.clock.milliseconds(), codec: replica.codec, bodies: replica.vault, in: db)
            try ClientStateRecord.row.updateAll(db, [
                ClientStateRecord.Columns.clock.set(to: Int64(author.clock.latest.rawValue)),
                ClientStateRecord.Columns.nextSeq.set(to: Int64(author.nextSeq)),
            ])
        }
    }

    @Test func aDeletedCaseIsRefusedLikeAMissingOneAndNotLogged() async throws {
        let anna = try OfflineLaptop.opened()
        let caseID = try await anna.createCase(title: "Familien Holm", citizenReference: "0101-A")
        try await anna.setNextStep(in: caseID, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2026-12-20")!))
        try await Self.storeDeletion(of: caseID, on: anna)
        #expect(try await anna.replica.entity(caseID)?.isDeleted == true)
        await #expect(throws: FieldError.notACase(caseID.description)) { _ = try await anna.openCase(caseID) }
        await #expect(throws: FieldError.notACase(caseID.description)) { _ = try await anna.caseView(caseID.description) }
        await #expect(throws: FieldError.notACase(caseID.description)) { try await anna.completeNextStep(in: caseID) }
        #expect(try await anna.cases().isEmpty)
        #expect(try await anna.replica.pendingReads(limit: 100).isEmpty, "what is refused is not shown, nor logged")
    }

    @Test func aCaseAndItsEntitiesComeFromOneRead() async throws {
        let anna = try OfflineLaptop.opened()
        let caseID = try await anna.createCase(title: "Familien Holm")
        let mother = try await anna.addParticipant(to: caseID, ParticipantDraft(name: "Lene Holm", role: .parent))
        let (caseState, entities) = try #require(try await anna.replica.caseAndEntities(caseID))
        #expect(caseState.id == caseID && Case(caseState)?.title == "Familien Holm")
        #expect(Set(entities.map(\.id)) == [caseID, mother])
        #expect(try await anna.replica.caseAndEntities(mother) == nil, "a participant is not a case")
        #expect(try await anna.replica.caseAndEntities(EntityID("0123456789abcdef0123456789abcdef")!) == nil)
    }

    /// A second "done" (a double click, another window) that read the case
    /// before the first was stored: it must not mark the step done again
    /// nor set a second, competing, following step.
    @Test func completingAStepChecksItInTheTransactionThatCompletesIt() async throws {
        let clock = TellingClock()
        let anna = try OfflineLaptop.opened(clock: clock)
        let caseID = try await anna.createCase(title: "Familien Holm")
        try await anna.setNextStep(in: caseID, NextStepDraft(text: "Hjemmebesøg", due: CalendarDate("2026-12-20")!))
        let step = try #require(try await anna.caseView(caseID.description).currentNextStep)

        let (held, holding) = AsyncStream<Void>.makeStream()
        let release = DispatchSemaphore(value: 0)
        // The first completion, in the writer already: it stays there until
        // the second has read the case and asks for the writer in turn.
        let first = Task {
            try await anna.replica.write { author, lookup in
                holding.yield()
                release.wait()
                return [try author.set(NextStep.Field.status, to: .string(NextStep.Status.done.rawValue), on: try #require(try lookup(step.id)))]
            }
        }
        var iterator = held.makeAsyncIterator()
        await iterator.next()
        // `LocalReplica.write` reads the clock just before it waits for the writer.
        clock.onNextReading { release.signal() }
        await #expect(throws: FieldError.noOpenNextStep) {
            try await anna.completeNextStep(in: caseID, then: NextStepDraft(text: "Netværksmøde", due: CalendarDate("2027-01-10")!))
        }
        release.signal()
        _ = try await first.value

        let plan = try await anna.caseView(caseID.description).nextStepPlan
        #expect(plan.steps.count == 1 && plan.steps.first?.status == .done, "\(plan.steps)")
        #expect(!plan.isInConflict)
    }
}

/// The system's wall clock, which runs a hook the next time it is read.
final class TellingClock: WallClock {
    private let hook = Mutex<(@Sendable () -> Void)?>(nil)

    func milliseconds() -> UInt64 {
        hook.withLock { value in
            defer { value = nil }
            return value
        }?()
        return SystemWallClock().milliseconds()
    }

    func onNextReading(_ body: @escaping @Sendable () -> Void) {
        hook.withLock { $0 = body }
    }
}
