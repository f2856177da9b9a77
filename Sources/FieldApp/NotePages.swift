import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// Writing a note: the new note, the draft that saves itself as it is
/// written (`app.js`), its finalization after a confirmation, and the
/// finalized record with its corrections. Every page that shows a note reads
/// it through `FieldSession.note`, which logs the read.
struct NotePages: Sendable {
    let state: AppState
    let language: Language?
    let saveOrder = NoteSaveOrder()

    /// A note's body and views can be long (a network meeting's account, text
    /// pasted from elsewhere), far past the 16 KiB of the app's other forms;
    /// a MiB holds any note a person writes while still bounding what one
    /// request may make the app hold in memory.
    static let maximumFormBytes = 1 << 20

    struct NewContent: Sendable {
        let caseLink: String
        let action: String
        /// Where the script creates the draft at the first change (`app.js`).
        let create: String
        let form: NoteFormValues
        let problems: ProblemList
    }

    /// The problems in the summary above the form, each linked to its field
    /// (`note-problems.mustache`).
    struct ProblemList: Sendable {
        struct Link: Sendable {
            let target: String
            let text: String
        }

        let items: [Link]
        let hasProblems: Bool

        init(_ problems: [NoteForm.Problem], _ language: Language) {
            items = problems.map { Link(target: $0.target, text: AppRoutes.catalogues.text($0.rawValue, language)) }
            hasProblems = !items.isEmpty
        }
    }

    struct DraftContent: Sendable {
        let title: String
        let kind: String
        let caseLink: String
        let action: String
        let autosave: String
        let form: NoteFormValues
        let notice: String?
        let problems: ProblemList
    }

    struct FinalizeContent: Sendable {
        let title: String
        let kind: String
        let date: String?
        let action: String
        let back: String
    }

    struct RecordContent: Sendable {
        let title: String
        let kind: String
        let date: String?
        let place: String?
        let author: String?
        let present: [String]
        let childPresence: String
        let sections: [Section]
        let conflicts: [NoteConflictBox]
        let corrections: [Correction]
        let caseLink: String
        let action: String
        let form: NoteFormValues
        let notice: String?
        let problems: ProblemList
    }

    struct Section: Sendable {
        let label: String
        let text: String?
    }

    struct Correction: Sendable {
        let heading: String
        let who: String
        let value: String
        let reason: String?
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        // Holds no data, but is asked for only by pages that do: behind the cookie.
        group.get("cases/:id/notes/new") { request, context in
            try await newNote(request, caseID: try context.parameters.require("id"))
        }
        group.post("cases/:id/notes") { request, context in
            try await create(request, caseID: try context.parameters.require("id"))
        }
        group.post("cases/:id/notes/autosave") { request, context in
            try await createByScript(request, caseID: try context.parameters.require("id"))
        }
        group.get("notes/:id") { request, context in
            try await notePage(request, id: try context.parameters.require("id"))
        }
        group.post("notes/:id") { request, context in
            try await save(request, id: try context.parameters.require("id"))
        }
        group.post("notes/:id/autosave") { request, context in
            try await autosave(request, id: try context.parameters.require("id"))
        }
        group.get("notes/:id/finalize") { request, context in
            try await confirmFinalize(request, id: try context.parameters.require("id"))
        }
        group.post("notes/:id/finalize") { request, context in
            try await finalize(request, id: try context.parameters.require("id"))
        }
        group.post("notes/:id/corrections") { request, context in
            try await correct(request, id: try context.parameters.require("id"))
        }
    }

    // MARK: New note

    private func newNote(_ request: Request, caseID text: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let session = try await state.openedSession()
        let caseID = try Self.caseID(text)
        let participants = try await caseParticipants(session, caseID)
        let today = CasePages.today()
        let values = NoteFormValues.Values(kind: Note.Kind.homeVisit.rawValue, date: today.description)
        return try await newPage(session, caseID: caseID, form: NoteFormValues(values, participants: participants, offersNotStated: true,
                                                                                language: language),
                                 problems: [], language: language)
    }

    private func create(_ request: Request, caseID text: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let form = try await PageForm.decode(NoteForm.self, from: request, csrfToken: state.csrfToken, limit: Self.maximumFormBytes)
        let session = try await state.openedSession()
        let caseID = try Self.caseID(text)
        let (draft, found) = form.draft(today: CasePages.today())
        var problems = found
        if let draft {
            do {
                let note = try await session.addNote(in: caseID, draft)
                return PageHeaders.redirect(to: "\(state.base)/notes/\(note)")
            } catch FieldError.notACase {
                throw PageError.caseNotFound
            } catch FieldError.notAParticipant {
                problems.append(.participant)
            }
        }
        // Shown again as typed, with what to fix: nothing the person wrote is lost.
        let participants = try await caseParticipants(session, caseID)
        return try await newPage(session, caseID: caseID,
                                 form: NoteFormValues(.init(form), participants: participants, offersNotStated: true, problems: problems,
                                                      language: language),
                                 problems: problems, language: language, status: .unprocessableContent)
    }

    /// The script's first save of a new note: the draft is made at the first
    /// change, so that the first lines are not lost with the tab, and not at
    /// the opening of the form, which would leave an empty draft for every
    /// look. Answers 201 with the draft's address; the script saves on there.
    private func createByScript(_ request: Request, caseID text: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let catalogues = AppRoutes.catalogues
        let form = try await PageForm.decode(NoteForm.self, from: request, csrfToken: state.csrfToken, limit: Self.maximumFormBytes)
        let session = try await state.openedSession()
        let caseID = try Self.caseID(text)
        let (draft, found) = form.draft(today: CasePages.today())
        var problems = found
        if let draft {
            do {
                let note = try await session.addNote(in: caseID, draft)
                var response = Self.status(catalogues.text("noteSavedAt", language, DateText(language).time(Date())), .created)
                response.headers[.location] = "\(state.base)/notes/\(note)"
                return response
            } catch FieldError.notACase {
                throw PageError.caseNotFound
            } catch FieldError.notAParticipant {
                problems.append(.participant)
            }
        }
        return Self.status(([catalogues.text("noteNotCreatedYet", language)] + problems.map { catalogues.text($0.rawValue, language) })
            .joined(separator: " "), .unprocessableContent)
    }

    private func newPage(
        _ session: FieldSession, caseID: EntityID, form: NoteFormValues, problems: [NoteForm.Problem], language: Language,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let catalogues = AppRoutes.catalogues
        let frame = try await AppFrame.make(title: catalogues.text("noteNewHeading", language), section: .cases, language: language,
                                            state: state, reads: session)
        let content = NewContent(caseLink: "\(state.base)/cases/\(caseID)", action: "\(state.base)/cases/\(caseID)/notes",
                                 create: "\(state.base)/cases/\(caseID)/notes/autosave", form: form,
                                 problems: ProblemList(problems, language))
        return AppRoutes.renderer.page("note-new", AppPage(t: catalogues.texts(for: language), frame: frame, content: content),
                                       status: status, contentSecurityPolicy: PageHeaders.scriptingContentSecurityPolicy)
    }

    // MARK: The note's page

    private func notePage(_ request: Request, id: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let session = try await state.openedSession()
        let view = try await shownNote(session, id)
        let query = request.uri.queryParameters
        let problems = query.get("problem").map { $0.split(separator: ",").compactMap { NoteForm.Problem(rawValue: String($0)) } } ?? []
        if view.note.status == .finalized {
            let corrected = query.get("corrected").flatMap(Int.init)
            return try await recordPage(session, view, corrected: corrected, problems: [], language: language)
        }
        return try await draftPage(session, view, saved: query.get("saved") != nil, problems: problems, language: language)
    }

    /// `typed` is a save refused because `changed` fields hold another value
    /// than it was based on: shown as typed, beside what they hold now.
    private func draftPage(
        _ session: FieldSession, _ view: NoteView, saved: Bool, problems: [NoteForm.Problem], typed: NoteForm? = nil,
        changed: [String: JSONValue] = [:], language: Language, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let catalogues = AppRoutes.catalogues
        let note = view.note
        let participants = try await caseParticipants(session, note.caseID)
        let form = NoteFormValues(typed.map { NoteFormValues.Values($0) } ?? .init(note), participants: participants,
                                  extraPresent: view.presentParticipants, offersNotStated: false,
                                  conflict: NoteConflictBox.byField(view.openConflicts, base: state.base, language: language), basedOn: .init(note),
                                  changed: changed, problems: problems, language: language)
        let link = "\(state.base)/notes/\(note.id)"
        let content = DraftContent(
            title: note.title.nonBlank ?? catalogues.text("untitled", language), kind: catalogues.word("noteKind", note.kind.rawValue, language),
            caseLink: "\(state.base)/cases/\(note.caseID)", action: link, autosave: link + "/autosave", form: form,
            notice: saved ? catalogues.text("noteSavedNotice", language) : nil,
            problems: ProblemList(problems, language))
        // The window title goes into the browser's history: a word, never the note's title.
        let frame = try await AppFrame.make(title: catalogues.text("noteDraftHeading", language), section: .cases, language: language,
                                            state: state, reads: session)
        return AppRoutes.renderer.page("note-draft", AppPage(t: catalogues.texts(for: language), frame: frame, content: content),
                                       status: status, contentSecurityPolicy: PageHeaders.scriptingContentSecurityPolicy)
    }

    /// `typed` is a correction refused for `problems`, shown again as it was typed.
    private func recordPage(
        _ session: FieldSession, _ view: NoteView, corrected: Int?, typed: NoteForm? = nil, problems: [NoteForm.Problem],
        language: Language, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let (catalogues, dates) = (AppRoutes.catalogues, DateText(language))
        let note = view.note
        let present = note.present.map { id in
            view.presentParticipants[id].map { "\($0.name ?? catalogues.text("noName", language)) (\(catalogues.word("role", $0.role.rawValue, language)))" }
                ?? catalogues.text("notePresentGone", language)
        }
        let childPresence = catalogues.text(note.childPresent.map { $0 ? "noteChildWasPresent" : "noteChildWasNotPresent" }
            ?? "noteChildPresenceNotStated", language)
        let sections = [("body", note.body), ("childView", note.childView), ("familyView", note.familyView),
                        ("agreements", note.agreements)].map { field, text in
            Section(label: catalogues.word("noteField", field, language), text: text.nonBlank == nil ? nil : text)
        }
        let corrections = note.addenda.map { addendum in
            let field = NoteText.fieldInSentence(addendum.field, language)
            return Correction(
                heading: catalogues.text(addendum.isDecision ? "noteDecisionOf" : "noteCorrectionOf", language, field),
                who: catalogues.text("noteWrittenBy", language, addendum.value.author.description,
                                     dates.dateAndTime(milliseconds: Int64(clamping: addendum.value.milliseconds))),
                value: NoteText.value(addendum.value.value, field: addendum.field, language: language),
                reason: addendum.isDecision ? addendum.reason.map { catalogues.text("noteDecisionReason", language, $0) } : nil)
        }
        let notice = corrected.map {
            catalogues.text($0 == 0 ? "noteCorrectedNone" : $0 == 1 ? "noteCorrectedOne" : "noteCorrectedMany", language, String($0))
        }
        let link = "\(state.base)/notes/\(note.id)"
        let content = RecordContent(
            title: note.title.nonBlank ?? catalogues.text("untitled", language), kind: catalogues.word("noteKind", note.kind.rawValue, language),
            date: note.date.map { NoteText.day($0, language) }, place: note.place, author: note.author?.description,
            present: present, childPresence: childPresence, sections: sections,
            conflicts: view.openConflicts.map { NoteConflictBox($0, base: state.base, language: language) }, corrections: corrections,
            caseLink: "\(state.base)/cases/\(note.caseID)", action: link + "/corrections",
            form: NoteFormValues(typed.map { NoteFormValues.Values($0) } ?? .init(correcting: note), participants: [], showsPresent: false,
                                 offersNotStated: false, problems: problems, language: language),
            notice: notice, problems: ProblemList(problems, language))
        let frame = try await AppFrame.make(title: catalogues.text("noteHeading", language), section: .cases, language: language,
                                            state: state, reads: session)
        return AppRoutes.renderer.page("note", AppPage(t: catalogues.texts(for: language), frame: frame, content: content), status: status)
    }

    // MARK: Saving a draft

    /// The form's own button (no script): saves, then back to the draft, or
    /// on to the confirmation when it was the finalize button.
    private func save(_ request: Request, id: String) async throws -> Response {
        let form = try await PageForm.decode(NoteForm.self, from: request, csrfToken: state.csrfToken, limit: Self.maximumFormBytes)
        let session = try await state.openedSession()
        let noteID = try Self.noteID(id)
        let problems: [NoteForm.Problem]
        do {
            problems = try await apply(form, to: noteID, session)
        } catch let changed as NoteChangedSince {
            // Nothing was written: both values on the page, the caseworker decides.
            return try await draftPage(session, try await shownNote(session, id), saved: false, problems: [], typed: form,
                                       changed: changed.held, language: AppRoutes.language(language, request), status: .conflict)
        }
        if form.next == "finalize", problems.isEmpty { return PageHeaders.redirect(to: "\(state.base)/notes/\(noteID)/finalize") }
        let problem = problems.isEmpty ? "" : "&problem=" + problems.map(\.rawValue).joined(separator: ",")
        return PageHeaders.redirect(to: "\(state.base)/notes/\(noteID)?saved=1\(problem)")
    }

    /// The script's save: a short line for its status, at once.
    private func autosave(_ request: Request, id: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let catalogues = AppRoutes.catalogues
        let form = try await PageForm.decode(NoteForm.self, from: request, csrfToken: state.csrfToken, limit: Self.maximumFormBytes)
        let session = try await state.openedSession()
        let noteID = try Self.noteID(id)
        do {
            let problems = try await apply(form, to: noteID, session)
            let saved = catalogues.text("noteSavedAt", language, DateText(language).time(Date()))
            return Self.status(([saved] + problems.map { catalogues.text($0.rawValue, language) }).joined(separator: " "))
        } catch let error as PageError where error.messageKey == PageError.noteFinalized.messageKey {
            return Self.status(catalogues.text("noteSaveRefusedFinalized", language), .conflict)
        } catch let changed as NoteChangedSince {
            let fields = changed.held.keys.sorted().map { NoteText.fieldInSentence($0, language) }.joined(separator: ", ")
            return Self.status(catalogues.text("noteSaveRefusedChanged", language, fields), .conflict)
        }
    }

    /// Saves what the form changes, in the order the script sent it. A tick
    /// of someone no longer a participant of the case does not hold back the
    /// text: the rest is saved, and the page says so.
    private func apply(_ form: NoteForm, to noteID: EntityID, _ session: FieldSession) async throws -> [NoteForm.Problem] {
        let (changes, found) = form.changes()
        let basedOn = form.basedOn()
        var problems = found
        do {
            let ticksRefused = try await saveOrder.run(note: noteID, editor: form.editor, sequence: form.sequence) { [changes] in
                do {
                    try await session.editNote(noteID, changes, basedOn: basedOn)
                    return false
                } catch FieldError.notAParticipant {
                    var rest = changes
                    rest.present = nil
                    try await session.editNote(noteID, rest, basedOn: basedOn)
                    return true
                }
            }
            if ticksRefused == true { problems.append(.participant) }
        } catch FieldError.notANote {
            throw PageError.noteNotFound
        } catch FieldError.finalized {
            throw PageError.noteFinalized
        }
        return problems
    }

    // MARK: Finalizing

    private func confirmFinalize(_ request: Request, id: String) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let catalogues = AppRoutes.catalogues
        let session = try await state.openedSession()
        let view = try await shownNote(session, id)
        let note = view.note
        let link = "\(state.base)/notes/\(note.id)"
        if note.status == .finalized { return PageHeaders.redirect(to: link) }
        let content = FinalizeContent(
            title: note.title.nonBlank ?? catalogues.text("untitled", language), kind: catalogues.word("noteKind", note.kind.rawValue, language),
            date: note.date.map { NoteText.day($0, language) }, action: link + "/finalize", back: link)
        let frame = try await AppFrame.make(title: catalogues.text("noteFinalizeHeading", language), section: .cases, language: language,
                                            state: state, reads: session)
        return AppRoutes.renderer.page("note-finalize", AppPage(t: catalogues.texts(for: language), frame: frame, content: content))
    }

    private func finalize(_ request: Request, id: String) async throws -> Response {
        _ = try await PageForm.decode(TokenForm.self, from: request, csrfToken: state.csrfToken, limit: AppRoutes.maximumFormBytes)
        let session = try await state.openedSession()
        let noteID = try Self.noteID(id)
        do {
            _ = try await saveOrder.run(note: noteID, editor: nil, sequence: nil) { try await session.finalizeNote(noteID) }
        } catch FieldError.notANote {
            throw PageError.noteNotFound
        } catch FieldError.finalized {
            // Sent twice (a double click, the back button): it is what was asked.
        }
        return PageHeaders.redirect(to: "\(state.base)/notes/\(noteID)")
    }

    // MARK: Corrections

    private func correct(_ request: Request, id: String) async throws -> Response {
        let form = try await PageForm.decode(NoteForm.self, from: request, csrfToken: state.csrfToken, limit: Self.maximumFormBytes)
        let session = try await state.openedSession()
        let noteID = try Self.noteID(id)
        var (changes, found) = form.changes()
        // Ticks are not corrected (below), so a bad one is no reason to refuse.
        let problems = found.filter { $0 != .participant }
        if !problems.isEmpty {
            // A correction is written whole or not at all: the rest waits, as typed, for the date to be fixed.
            let view = try await shownNote(session, id)
            guard view.note.status == .finalized else { throw PageError.noteNotFinalized }
            return try await recordPage(session, view, corrected: nil, typed: form, problems: problems,
                                        language: AppRoutes.language(language, request), status: .unprocessableContent)
        }
        // Who was present is part of the record, corrected in words.
        (changes.present, changes.addPresent) = (nil, [])
        let written: Int
        do {
            written = try await session.addCorrections(to: noteID, changes)
        } catch FieldError.notANote {
            throw PageError.noteNotFound
        } catch FieldError.notFinalized {
            throw PageError.noteNotFinalized
        }
        return PageHeaders.redirect(to: "\(state.base)/notes/\(noteID)?corrected=\(written)")
    }

    // MARK: Helpers

    /// The note, logged as read (`note-show`).
    private func shownNote(_ session: FieldSession, _ id: String) async throws -> NoteView {
        do {
            return try await session.note(try Self.noteID(id))
        } catch FieldError.notANote {
            throw PageError.noteNotFound
        }
    }

    private func caseParticipants(_ session: FieldSession, _ caseID: EntityID) async throws -> [Participant] {
        do {
            return try await session.participants(in: caseID)
        } catch FieldError.notACase {
            throw PageError.caseNotFound
        }
    }

    private static func caseID(_ text: String) throws -> EntityID {
        guard let id = EntityID(text) else { throw PageError.caseNotFound }
        return id
    }

    private static func noteID(_ text: String) throws -> EntityID {
        guard let id = EntityID(text) else { throw PageError.noteNotFound }
        return id
    }

    private static func status(_ text: String, _ status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: PageHeaders.secured(contentType: "text/plain; charset=utf-8"),
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

extension PageError {
    static let noteNotFound = PageError(status: .notFound, headingKey: "noteNotFoundHeading", messageKey: "noteNotFoundMessage")
    /// A change to a note that is a journal record now.
    static let noteFinalized = PageError(status: .conflict, headingKey: "noteFinalizedHeading", messageKey: "noteFinalizedMessage")
    static let noteNotFinalized = PageError(status: .conflict, headingKey: "noteNotFinalizedHeading", messageKey: "noteNotFinalizedMessage")
}
