/// A case (sag): one child or family, the unit of access and of replication.
public struct Case: Hashable, Sendable {
    public enum Field {
        public static let title = "title"
        public static let citizenReference = "citizenRef"
        public static let status = "status"
        public static let primaryCaseworker = "primaryCaseworker"
        /// Set-valued: user names of everyone who may read and write the case.
        public static let members = "members"
        /// The entity id of the case's current next step (feedforward: one per
        /// case). Written with the step's creation, so that two steps created
        /// without seeing each other are concurrent values of this field: a
        /// conflict like any other (`NextStepPlan`).
        public static let nextStep = "nextStep"
    }

    public struct Status: OpenEnumeration {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let open = Status(rawValue: "open")
        public static let closed = Status(rawValue: "closed")
        /// Closed because the concern proved unfounded: the family is told so.
        public static let closedUnfounded = Status(rawValue: "closed-unfounded")
        public static let known: [Status] = [.open, .closed, .closedUnfounded]
    }

    public let id: EntityID
    public let title: String?
    public let citizenReference: String?
    public let status: Status
    public let primaryCaseworker: UserID?
    public let members: [UserID]

    public init?(_ state: EntityState) {
        guard state.entityType == EntityType.caseFile else { return nil }
        id = state.id
        title = state.string(Field.title)
        citizenReference = state.string(Field.citizenReference)
        status = state.string(Field.status).map(Status.init(rawValue:)) ?? .open
        primaryCaseworker = state.string(Field.primaryCaseworker).flatMap(UserID.init)
        members = state.strings(Field.members).compactMap(UserID.init)
    }
}
