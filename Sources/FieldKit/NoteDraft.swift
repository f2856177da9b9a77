import SyncCore

/// A new journal note, as the note form or `field note add` gives it.
public struct NoteDraft: Sendable, Hashable {
    public var kind: Note.Kind
    public var title: String?
    /// The day of the contact.
    public var date: CalendarDate
    public var place: String?
    /// Participants of the case who were present.
    public var present: [EntityID]
    public var childPresent: Bool?
    /// The child's own voice: what the child said and wants (Barnets Lov).
    public var childView: String?
    /// The family's own view of what was discussed.
    public var familyView: String?
    public var agreements: String?
    public var body: String

    public init(
        kind: Note.Kind, title: String? = nil, date: CalendarDate = .today(), place: String? = nil, present: [EntityID] = [],
        childPresent: Bool? = nil, childView: String? = nil, familyView: String? = nil, agreements: String? = nil,
        body: String = ""
    ) {
        (self.kind, self.title, self.date, self.place, self.present) = (kind, title, date, place, present)
        (self.childPresent, self.childView, self.familyView, self.agreements, self.body) =
            (childPresent, childView, familyView, agreements, body)
    }

    var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [(Note.Field.kind, .string(kind.rawValue))]
        if let title { fields.append((Note.Field.title, .string(title))) }
        fields += [(Note.Field.date, .string(date.description)), (Note.Field.body, .string(body))]
        return fields + NoteChanges.contentFields(place: place, familyView: familyView, childView: childView,
                                                  agreements: agreements, childPresent: childPresent)
    }
}

/// Changes to a note: nil leaves a field as it is. A page that autosaves
/// sends every field each time; only those that differ from what the laptop
/// holds are written.
public struct NoteChanges: Sendable, Hashable {
    public var kind: Note.Kind?
    public var title: String?
    public var date: CalendarDate?
    public var place: String?
    public var body: String?
    public var familyView: String?
    public var childView: String?
    public var agreements: String?
    public var childPresent: Bool?
    /// Exactly who was present (a form's ticks): those missing are added,
    /// the others taken off. nil leaves them as they are.
    public var present: Set<EntityID>?
    /// Participants to add to those present, keeping the others (`field note edit --participant`).
    public var addPresent: [EntityID]

    public init(
        kind: Note.Kind? = nil, title: String? = nil, date: CalendarDate? = nil, place: String? = nil, body: String? = nil,
        familyView: String? = nil, childView: String? = nil, agreements: String? = nil, childPresent: Bool? = nil,
        present: Set<EntityID>? = nil, addPresent: [EntityID] = []
    ) {
        (self.kind, self.title, self.date, self.place, self.body) = (kind, title, date, place, body)
        (self.familyView, self.childView, self.agreements, self.childPresent) = (familyView, childView, agreements, childPresent)
        (self.present, self.addPresent) = (present, addPresent)
    }

    /// Nothing to change at all.
    public var isEmpty: Bool { fields.isEmpty && present == nil && addPresent.isEmpty }

    var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        if let kind { fields.append((Note.Field.kind, .string(kind.rawValue))) }
        for (field, value) in [(Note.Field.title, title), (Note.Field.date, date?.description), (Note.Field.body, body)] {
            if let value { fields.append((field, .string(value))) }
        }
        return fields + Self.contentFields(place: place, familyView: familyView, childView: childView,
                                           agreements: agreements, childPresent: childPresent)
    }

    /// What a note records beyond its kind, title, date and body, in the order it is written.
    static func contentFields(
        place: String?, familyView: String?, childView: String?, agreements: String?, childPresent: Bool?
    ) -> [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = []
        for (field, value) in [(Note.Field.place, place), (Note.Field.familyView, familyView),
                               (Note.Field.childView, childView), (Note.Field.agreements, agreements)] {
            if let value { fields.append((field, .string(value))) }
        }
        if let childPresent { fields.append((Note.Field.childPresent, .bool(childPresent))) }
        return fields
    }
}
