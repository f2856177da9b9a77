import Foundation
import SyncCore

/// What the commands show, assembled from the merged state of a case.
public struct CaseView: Sendable {
    public let caseState: EntityState
    public let entities: [EntityState]

    public var record: Case? { Case(caseState) }
    public var notes: [Note] {
        entities.compactMap(Note.init).sorted { ($0.date?.description ?? "", $0.id) < ($1.date?.description ?? "", $1.id) }
    }
    public var participants: [Participant] { entities.filter { !$0.isDeleted }.compactMap(Participant.init) }
    public var nextSteps: [NextStep] { entities.filter { !$0.isDeleted }.compactMap(NextStep.init) }
    /// Which step is current, and which compete for it (`NextStepPlan`).
    public var nextStepPlan: NextStepPlan { NextStepPlan(caseState: caseState, entities: entities) }
    /// The current next step: the one the case names (`NextStepPlan`).
    public var currentNextStep: NextStep? { nextStepPlan.current }
    public var openConflicts: [ConflictRecord] { ([caseState] + entities).flatMap { $0.conflicts() }.filter(\.isOpen) }

    public init(caseState: EntityState, entities: [EntityState]) {
        self.caseState = caseState
        self.entities = entities.filter { $0.id != caseState.id }
    }
}

extension Note {
    /// The fields a supervisor decided after the note was finalized: the record
    /// keeps what it said, so the list beside the note is where a reader
    /// learns of the decision (Protocol.md §7).
    public var fieldsDecidedAfterFinalization: [String] {
        var seen: Set<String> = []
        return addenda.filter(\.isDecision).map(\.field).filter { seen.insert($0).inserted }
    }
}

extension CalendarDate {
    /// Today in the local time zone: a deadline is a day in the caseworker's calendar.
    public static func today(now: Date = Date()) -> CalendarDate {
        let parts = Calendar.current.dateComponents([.year, .month, .day], from: now)
        return CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!)!
    }
}
