import FieldKit
import Foundation
import PageKit
import SyncCore

/// What the note form shows (`note-fields.mustache`): the new note, the
/// draft being written, and the correction of a finalized note.
struct NoteFormValues: Sendable {
    struct Choice: Sendable {
        let value: String
        let word: String
        let selected: Bool
    }

    struct Person: Sendable {
        let id: String
        let name: String
        let role: String
        let checked: Bool
    }

    let kinds: [Choice]
    let title: String
    let date: String
    let place: String
    /// Who was present is part of the record: not on the correction form.
    let showsPresent: Bool
    let participants: [Person]
    let hasParticipants: Bool
    let childYes: Bool
    let childNo: Bool
    let childNotStated: Bool
    /// "Not stated" cannot be chosen once yes or no is saved: a change to a
    /// note sets a value, and no value is not one.
    let offersNotStated: Bool
    let childView: String
    let familyView: String
    let agreements: String
    let body: String
    /// Open conflicts by field name, shown at their field (`conflict.body`).
    let conflict: [String: NoteConflictBox]
    /// What a draft's fields hold as stored, sent back beside them (`wasBody`)
    /// so that a save does not overwrite unseen what changed elsewhere since.
    let basedOn: BasedOn?
    /// Fields changed elsewhere since the refused save was typed: what they hold now.
    let changed: [String: ChangedBox]
    /// The problem of a field, next to it (`error.date`), by field name.
    let error: [String: String]

    struct BasedOn: Sendable {
        let kind: String
        let title: String
        let date: String
        let place: String
        let childPresent: String
        let childView: String
        let familyView: String
        let agreements: String
        let body: String
        /// The ids ticked as present.
        let present: [String]

        init(_ values: Values) {
            (kind, title, date, place) = (values.kind ?? "", values.title ?? "", values.date ?? "", values.place ?? "")
            childPresent = values.childPresent.map { $0 ? "yes" : "no" } ?? ""
            (childView, familyView, agreements, body) = (values.childView ?? "", values.familyView ?? "", values.agreements ?? "",
                                                         values.body ?? "")
            present = values.present.sorted()
        }
    }

    /// A field held otherwise than the typed save was based on.
    struct ChangedBox: Sendable {
        let heading: String
        let value: String
    }

    struct Values {
        var kind: String?
        var title: String?
        var date: String?
        var place: String?
        var present: Set<String> = []
        var childPresent: Bool?
        var childView: String?
        var familyView: String?
        var agreements: String?
        var body: String?
    }

    /// `participants` are the case's; `extraPresent` those ticked who are no
    /// longer among them (shown, so that they can be taken off).
    init(_ values: Values, participants: [Participant], extraPresent: [EntityID: Participant] = [:], showsPresent: Bool = true,
         offersNotStated: Bool, conflict: [String: NoteConflictBox] = [:], basedOn: Values? = nil,
         changed: [String: JSONValue] = [:], problems: [NoteForm.Problem] = [], language: Language) {
        let catalogues = AppRoutes.catalogues
        var kinds = Note.Kind.known.map { Choice(value: $0.rawValue, word: catalogues.word("noteKind", $0.rawValue, language),
                                                  selected: $0.rawValue == values.kind) }
        // A kind from a newer version stays selectable, as it is stored.
        if let kind = values.kind, !Note.Kind.known.contains(where: { $0.rawValue == kind }) {
            kinds.append(Choice(value: kind, word: catalogues.word("noteKind", kind, language), selected: true))
        }
        self.kinds = kinds
        (title, date, place) = (values.title ?? "", values.date ?? "", values.place ?? "")
        var everyone = participants
        everyone += extraPresent.filter { id, _ in !participants.contains { $0.id == id } }.values
        self.participants = everyone.sorted { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }.map { participant in
            Person(id: participant.id.description, name: participant.name ?? catalogues.text("noName", language),
                   role: catalogues.word("role", participant.role.rawValue, language),
                   checked: values.present.contains(participant.id.description))
        }
        hasParticipants = !self.participants.isEmpty
        self.showsPresent = showsPresent
        (childYes, childNo, childNotStated) = (values.childPresent == true, values.childPresent == false, values.childPresent == nil)
        self.offersNotStated = offersNotStated || values.childPresent == nil
        (childView, familyView, agreements, body) = (values.childView ?? "", values.familyView ?? "", values.agreements ?? "",
                                                     values.body ?? "")
        self.conflict = conflict
        self.basedOn = basedOn.map(BasedOn.init)
        self.changed = changed.reduce(into: [:]) { boxes, entry in
            let field = catalogues.word("noteField", entry.key, language)
            boxes[entry.key] = ChangedBox(heading: catalogues.text("noteChangedHeading", language, field),
                                          value: NoteText.value(entry.value, field: entry.key, language: language))
        }
        error = problems.reduce(into: [:]) { errors, problem in
            errors[problem.field] = catalogues.text(problem.rawValue, language)
        }
    }
}

extension NoteFormValues.Values {
    /// A draft as it is held.
    init(_ note: Note) {
        self.init(kind: note.kind.rawValue, title: note.title, date: note.date?.description, place: note.place,
                  present: Set(note.present.map(\.description)), childPresent: note.childPresent, childView: note.childView,
                  familyView: note.familyView, agreements: note.agreements, body: note.body)
    }

    /// What a finalized note shows now: for each field its latest correction,
    /// else the record (as `FieldSession.addCorrections` compares).
    init(correcting note: Note) {
        func shown(_ field: String) -> JSONValue? {
            note.addenda.last { $0.field == field && !$0.isDecision }?.value.value
        }
        self.init(kind: shown(Note.Field.kind)?.stringValue ?? note.kind.rawValue,
                  title: shown(Note.Field.title)?.stringValue ?? note.title,
                  date: shown(Note.Field.date)?.stringValue ?? note.date?.description,
                  place: shown(Note.Field.place)?.stringValue ?? note.place,
                  childPresent: shown(Note.Field.childPresent)?.boolValue ?? note.childPresent,
                  childView: shown(Note.Field.childView)?.stringValue ?? note.childView,
                  familyView: shown(Note.Field.familyView)?.stringValue ?? note.familyView,
                  agreements: shown(Note.Field.agreements)?.stringValue ?? note.agreements,
                  body: shown(Note.Field.body)?.stringValue ?? note.body)
    }

    /// A form sent back with a problem: the person's text, as it was typed.
    init(_ form: NoteForm) {
        self.init(kind: form.kind, title: form.title, date: form.date, place: form.place, present: Set(form.present ?? []),
                  childPresent: NoteForm.yesNo(form.childPresent), childView: form.childView, familyView: form.familyView,
                  agreements: form.agreements, body: form.body)
    }
}

/// An open conflict on a field of a note: every value, who wrote it and when,
/// and that a supervisor settles it.
struct NoteConflictBox: Sendable {
    struct Value: Sendable {
        let who: String
        let value: String
    }

    let field: String
    let heading: String
    let values: [Value]
    /// The conflict's own page: the values side by side, and what happens next.
    let link: String

    init(_ conflict: ConflictRecord, base: String, language: Language) {
        let (catalogues, dates) = (AppRoutes.catalogues, DateText(language))
        link = ConflictText.link(conflict, base: base)
        field = catalogues.word("noteField", conflict.field, language)
        heading = catalogues.text("noteConflictHeading", language, field)
        values = conflict.values.map { value in
            Value(who: catalogues.text("noteWrittenBy", language, value.author.description,
                                       dates.dateAndTime(milliseconds: Int64(clamping: value.milliseconds))),
                  value: NoteText.value(value.value, field: conflict.field, language: language))
        }
    }

    /// By field, for the form; a field with two open conflicts shows the first.
    static func byField(_ conflicts: [ConflictRecord], base: String, language: Language) -> [String: NoteConflictBox] {
        var boxes: [String: NoteConflictBox] = [:]
        for conflict in conflicts where boxes[conflict.field] == nil {
            boxes[conflict.field] = NoteConflictBox(conflict, base: base, language: language)
        }
        return boxes
    }
}

/// A note's stored values in the reader's words.
enum NoteText {
    static func value(_ value: JSONValue, field: String, language: Language) -> String {
        let catalogues = AppRoutes.catalogues
        switch value {
        case .string(let text) where text.isEmpty: return catalogues.text("noteValueEmpty", language)
        case .string(let text) where field == Note.Field.kind: return catalogues.word("noteKind", text, language)
        case .string(let text) where field == Note.Field.date: return CalendarDate(text).map { day($0, language) } ?? text
        case .string(let text): return text
        case .bool(let yes): return catalogues.text(yes ? "noteChildYes" : "noteChildNo", language)
        case .null: return catalogues.text("noteValueEmpty", language)
        default: return "\(value)"
        }
    }

    /// A field's name inside a sentence: lower-case, as Danish writes it
    /// there ("Rettelse af titel"); the label itself starts with a capital.
    static func fieldInSentence(_ field: String, _ language: Language) -> String {
        let word = AppRoutes.catalogues.word("noteField", field, language)
        return word.prefix(1).lowercased() + word.dropFirst()
    }

    static func day(_ date: CalendarDate, _ language: Language) -> String {
        DateText(language).day(year: date.year, month: date.month, day: date.day)
    }
}
