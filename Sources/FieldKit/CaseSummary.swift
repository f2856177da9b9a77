import SyncCore

/// A case as the case list and the agenda show it: its record, its next
/// steps and how many conflicts are open in it, notes included, read
/// without opening its notes (`LocalReplica.caseSummaries`).
public struct CaseSummary: Sendable {
    public let caseState: EntityState
    /// The states of its next steps (and of any entity whose type is not known yet).
    public let nextStepStates: [EntityState]
    public let openConflictCount: Int

    public var record: Case? { Case(caseState) }
    public var nextSteps: [NextStep] { nextStepStates.filter { !$0.isDeleted }.compactMap(NextStep.init) }
    /// Which step is current, and which compete for it (`NextStepPlan`).
    public var nextStepPlan: NextStepPlan { NextStepPlan(caseState: caseState, entities: nextStepStates) }
    /// The current next step: the one the case names (`NextStepPlan`).
    public var currentNextStep: NextStep? { nextStepPlan.current }

    public init(caseState: EntityState, nextStepStates: [EntityState], openConflictCount: Int) {
        self.caseState = caseState
        self.nextStepStates = nextStepStates
        self.openConflictCount = openConflictCount
    }
}
