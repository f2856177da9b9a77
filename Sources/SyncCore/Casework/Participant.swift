/// Someone around the child: a parent, the child, the school, the health
/// visitor, a support person...
public struct Participant: Hashable, Sendable {
    public enum Field {
        public static let name = "name"
        public static let role = "role"
        public static let contact = "contact"
        /// For the child: from 10 the child is a party to the case.
        public static let age = "age"
        public static let consent = "consent"
        /// The child's own voice, in the child's words.
        public static let voice = "voice"
    }

    public struct Role: OpenEnumeration {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let parent = Role(rawValue: "parent")
        public static let child = Role(rawValue: "child")
        public static let school = Role(rawValue: "school")
        public static let dayCare = Role(rawValue: "day-care")
        public static let healthVisitor = Role(rawValue: "health-visitor")
        public static let psychologist = Role(rawValue: "psychologist")
        public static let supportPerson = Role(rawValue: "support-person")
        public static let other = Role(rawValue: "other")
        public static let known: [Role] = [
            .parent, .child, .school, .dayCare, .healthVisitor, .psychologist, .supportPerson, .other,
        ]
    }

    public struct Consent: OpenEnumeration {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let given = Consent(rawValue: "given")
        public static let refused = Consent(rawValue: "refused")
        public static let withdrawn = Consent(rawValue: "withdrawn")
        public static let notAsked = Consent(rawValue: "not-asked")
        public static let known: [Consent] = [.given, .refused, .withdrawn, .notAsked]
    }

    public let id: EntityID
    public let caseID: EntityID
    public let name: String?
    public let role: Role
    public let contact: String?
    public let age: Int?
    public let consent: Consent
    public let voice: String?

    public init?(_ state: EntityState) {
        guard state.entityType == EntityType.participant else { return nil }
        id = state.id
        caseID = state.caseID
        name = state.string(Field.name)
        role = state.string(Field.role).map(Role.init(rawValue:)) ?? .other
        contact = state.string(Field.contact)
        age = state.value(of: Field.age)?.integerValue.map(Int.init)
        consent = state.string(Field.consent).map(Consent.init(rawValue:)) ?? .notAsked
        voice = state.string(Field.voice)
    }
}
