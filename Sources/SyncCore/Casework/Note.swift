/// A journal note of a home visit, a network meeting, a phone call or other
/// contact. A draft until finalized; a finalized note is a record that never
/// changes, and later corrections are its addenda.
public struct Note: Hashable, Sendable {
    public enum Field {
        public static let kind = "kind"
        public static let title = "title"
        public static let date = "date"
        public static let place = "place"
        public static let body = "body"
        /// The family's own view of what was discussed.
        public static let familyView = "familyView"
        /// The child's own voice (Barnets Lov): what the child said and wants.
        public static let childView = "childView"
        public static let agreements = "agreements"
        public static let childPresent = "childPresent"
        /// Set-valued: ids of the case's participants who were present.
        public static let present = "present"
    }

    public struct Kind: OpenEnumeration {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let homeVisit = Kind(rawValue: "home-visit")
        public static let networkMeeting = Kind(rawValue: "network-meeting")
        public static let phone = Kind(rawValue: "phone")
        public static let other = Kind(rawValue: "other")
        public static let known: [Kind] = [.homeVisit, .networkMeeting, .phone, .other]
    }

    public enum Status: String, Hashable, Sendable {
        case draft, finalized
    }

    public let id: EntityID
    public let caseID: EntityID
    public let kind: Kind
    public let title: String?
    public let date: CalendarDate?
    public let place: String?
    public let body: String?
    public let familyView: String?
    public let childView: String?
    public let agreements: String?
    public let childPresent: Bool?
    public let present: [EntityID]
    public let status: Status
    public let author: UserID?
    public let addenda: [Addendum]

    public init?(_ state: EntityState) {
        guard state.entityType == EntityType.note else { return nil }
        id = state.id
        caseID = state.caseID
        kind = state.string(Field.kind).map(Kind.init(rawValue:)) ?? .other
        title = state.string(Field.title)
        date = state.date(Field.date)
        place = state.string(Field.place)
        body = state.string(Field.body)
        familyView = state.string(Field.familyView)
        childView = state.string(Field.childView)
        agreements = state.string(Field.agreements)
        childPresent = state.value(of: Field.childPresent)?.boolValue
        present = state.strings(Field.present).compactMap(EntityID.init)
        status = state.isFinalized ? .finalized : .draft
        author = state.creationOperation?.author
        addenda = state.addenda()
    }
}
