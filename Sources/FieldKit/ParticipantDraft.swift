import SyncCore

/// A new participant of a case, as a form or a command line gives it.
public struct ParticipantDraft: Sendable, Hashable {
    public var name: String
    public var role: Participant.Role
    /// Phone, e-mail or address.
    public var contact: String?
    /// In years, for the child: from 10 the child is a party to the case.
    public var age: Int?
    public var consent: Participant.Consent?
    /// The child's own voice, in the child's words.
    public var voice: String?

    public init(
        name: String, role: Participant.Role, contact: String? = nil, age: Int? = nil, consent: Participant.Consent? = nil,
        voice: String? = nil
    ) {
        (self.name, self.role, self.contact, self.age, self.consent, self.voice) = (name, role, contact, age, consent, voice)
    }

    var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [(Participant.Field.name, .string(name)), (Participant.Field.role, .string(role.rawValue))]
        if let contact { fields.append((Participant.Field.contact, .string(contact))) }
        if let age { fields.append((Participant.Field.age, .integer(Int64(age)))) }
        if let consent { fields.append((Participant.Field.consent, .string(consent.rawValue))) }
        if let voice { fields.append((Participant.Field.voice, .string(voice))) }
        return fields
    }
}

/// Changes to a participant: nil leaves a field as it is. Only values that
/// differ from what the laptop holds are written.
public struct ParticipantChanges: Sendable, Hashable {
    public var name: String?
    public var role: Participant.Role?
    public var contact: String?
    public var age: Int?
    public var consent: Participant.Consent?
    public var voice: String?

    public init(
        name: String? = nil, role: Participant.Role? = nil, contact: String? = nil, age: Int? = nil,
        consent: Participant.Consent? = nil, voice: String? = nil
    ) {
        (self.name, self.role, self.contact, self.age, self.consent, self.voice) = (name, role, contact, age, consent, voice)
    }

    var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let name { fields.append((Participant.Field.name, .string(name))) }
        if let role { fields.append((Participant.Field.role, .string(role.rawValue))) }
        if let contact { fields.append((Participant.Field.contact, .string(contact))) }
        if let age { fields.append((Participant.Field.age, .integer(Int64(age)))) }
        if let consent { fields.append((Participant.Field.consent, .string(consent.rawValue))) }
        if let voice { fields.append((Participant.Field.voice, .string(voice))) }
        return fields
    }
}

/// What a participant's values must be, for every client to agree.
public enum ParticipantRules {
    /// A participant's age in years, as forms and commands accept it.
    public static let ages = 0...120

    static func check(age: Int?) throws {
        if let age, !ages.contains(age) { throw FieldError.participantAge(age) }
    }
}
