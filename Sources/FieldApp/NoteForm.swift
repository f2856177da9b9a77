import FieldKit
import Foundation
import PageKit
import SyncCore

/// The note form as posted: the new note, the draft's form (sent whole by
/// its button, or by the autosave script with only the fields changed since
/// its last acknowledged save), and the correction of a finalized note.
/// A field absent from the form is left as it is.
struct NoteForm: PageFormBody {
    let csrf: String?
    let kind: String?
    let title: String?
    let date: String?
    let place: String?
    /// The ids of the participants ticked as present (`present[]`).
    let present: [String]?
    /// Set when the ticks were sent at all: with none ticked the browser sends
    /// no `present[]`, which must then take everyone off.
    let presentShown: String?
    /// `yes`, `no`, or empty for not stated.
    let childPresent: String?
    let childView: String?
    let familyView: String?
    let agreements: String?
    let body: String?
    /// `finalize` when the draft's finalize button sent the form: save, then confirm.
    let next: String?
    /// The autosave script's tab (random per page load) and the number of its
    /// save, so that a save overtaken by a later one is not applied after it.
    let editor: String?
    let sequence: Int?
    /// Each field as the page (or the script's last acknowledged save) showed
    /// it stored: a field held otherwise now was changed elsewhere since, and
    /// is not overwritten unseen (`FieldSession.editNote(_:_:basedOn:)`).
    let wasKind: String?
    let wasTitle: String?
    let wasDate: String?
    let wasPlace: String?
    let wasChildPresent: String?
    let wasChildView: String?
    let wasFamilyView: String?
    let wasAgreements: String?
    let wasBody: String?
    /// The ticks as the page showed them (`wasPresent[]`), when the ticks were
    /// shown at all (`wasPresentShown`): only ticks changed since are applied.
    let wasPresent: [String]?
    let wasPresentShown: String?

    /// A field that could not be read: left out, the rest is still saved, and
    /// the page says which (the values are catalogue keys).
    enum Problem: String, CaseIterable, Sendable {
        case date = "noteDateInvalid"
        case kind = "noteKindInvalid"
        case participant = "noteParticipantInvalid"

        /// The form field it is about, as the form and its error say it (`error.date`).
        var field: String {
            switch self {
            case .date: "date"
            case .kind: "kind"
            case .participant: "present"
            }
        }

        /// The id of the control the error summary links to.
        var target: String {
            switch self {
            case .date: "note-date"
            case .kind: "note-kind"
            case .participant: "note-present"
            }
        }
    }

    /// The changes to a note. A kind this version does not know is left as it
    /// is: the form offers it only when the note already has it.
    func changes() -> (NoteChanges, [Problem]) {
        var problems: [Problem] = []
        var changes = NoteChanges(
            kind: kind.flatMap { raw in Note.Kind.known.first { $0.rawValue == raw } },
            title: Self.line(title), place: Self.line(place), body: Self.text(body),
            familyView: Self.text(familyView), childView: Self.text(childView), agreements: Self.text(agreements),
            childPresent: Self.yesNo(childPresent))
        if let date = date?.nonBlank {
            if let day = CalendarDate(date) { changes.date = day } else { problems.append(.date) }
        }
        if present != nil || presentShown != nil {
            let ids = (present ?? []).map { EntityID($0) }
            if ids.contains(where: { $0 == nil }) { problems.append(.participant) } else { changes.present = Set(ids.compactMap { $0 }) }
        }
        return (changes, problems)
    }

    /// The values the changes were based on, as `changes()` reads them; nil
    /// when the form says none (a page from before they were sent). A date
    /// that is no day is not compared.
    func basedOn() -> NoteChanges? {
        let sent: [String?] = [wasKind, wasTitle, wasDate, wasPlace, wasChildPresent, wasChildView, wasFamilyView, wasAgreements, wasBody,
                               wasPresentShown]
        guard sent.contains(where: { $0 != nil }) else { return nil }
        var present: Set<EntityID>?
        if wasPresentShown != nil { present = Set((wasPresent ?? []).compactMap { EntityID($0) }) }
        return NoteChanges(kind: wasKind.flatMap { raw in Note.Kind.known.first { $0.rawValue == raw } },
                           title: Self.line(wasTitle), date: wasDate.flatMap { CalendarDate($0) }, place: Self.line(wasPlace),
                           body: Self.text(wasBody), familyView: Self.text(wasFamilyView), childView: Self.text(wasChildView),
                           agreements: Self.text(wasAgreements), childPresent: Self.yesNo(wasChildPresent), present: present)
    }

    /// A new note; nil with the problems when its kind or date is not one.
    func draft(today: CalendarDate) -> (NoteDraft?, [Problem]) {
        var problems: [Problem] = []
        let kind = kind.flatMap { raw in Note.Kind.known.first { $0.rawValue == raw } }
        if kind == nil { problems.append(.kind) }
        var day = today
        if let date = date?.nonBlank {
            if let parsed = CalendarDate(date) { day = parsed } else { problems.append(.date) }
        }
        let ids = (present ?? []).map { EntityID($0) }
        if ids.contains(where: { $0 == nil }) { problems.append(.participant) }
        guard let kind, problems.isEmpty else { return (nil, problems) }
        return (NoteDraft(kind: kind, title: Self.line(title)?.nonBlank, date: day, place: Self.line(place)?.nonBlank,
                          present: ids.compactMap { $0 }, childPresent: Self.yesNo(childPresent),
                          childView: Self.text(childView)?.nonBlank, familyView: Self.text(familyView)?.nonBlank,
                          agreements: Self.text(agreements)?.nonBlank, body: Self.text(body) ?? ""),
                [])
    }

    /// Browsers send a text area's line breaks as CRLF, a script as LF: one
    /// form, so that a save with either is no change to the other.
    static func text(_ value: String?) -> String? {
        value?.withUnixLineBreaks
    }

    static func line(_ value: String?) -> String? {
        text(value)?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func yesNo(_ value: String?) -> Bool? {
        switch value {
        case "yes": true
        case "no": false
        default: nil
        }
    }
}

/// A form that carries nothing but its CSRF token (the finalize confirmation).
struct TokenForm: PageFormBody {
    let csrf: String?
}
