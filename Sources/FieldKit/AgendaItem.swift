import SyncCore

/// One open next step on the agenda, with the case it belongs to.
public struct AgendaItem: Sendable, Hashable {
    public let step: NextStep
    public let caseTitle: String?
    public let citizenReference: String?
    /// One of the competing steps of an open conflict: every one is shown,
    /// marked, until a supervisor settles which one holds.
    public let isCompeting: Bool
    public let isOverdue: Bool

    public var caseID: EntityID { step.caseID }
}
