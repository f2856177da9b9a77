import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// The Forside (agenda), the case list with its search, and the read-only
/// case page. Each shows case data and so goes into the read log: the FieldKit operations they call log it.
struct CasePages: Sendable {
    let state: AppState
    let language: Language?

    struct AgendaContent: Sendable {
        let steps: [StepRow]
        let isEmpty: Bool
        let overdueCount: Int
    }

    struct StepRow: Sendable {
        let text: String
        let due: String?
        let responsible: String?
        let overdue: Bool
        let competing: Bool
        let caseLink: String?
        let caseTitle: String
        let citizenReference: String?
    }

    struct CasesContent: Sendable {
        let query: String
        let searched: Bool
        let cases: [CaseRow]
        let isEmpty: Bool
        let resultLine: String
        /// The address named a search this run no longer holds (the app
        /// restarted, or it was locked since).
        let searchForgotten: Bool
    }

    struct CaseRow: Sendable {
        let link: String
        let title: String
        let citizenReference: String?
        let status: String
        let nextStep: StepRow?
        let openConflicts: Int
    }

    struct CaseContent: Sendable {
        /// The case's own address, which its forms' addresses extend.
        let link: String
        let title: String
        let citizenReference: String?
        let status: String
        let primaryCaseworker: String?
        let members: String
        let nextStep: StepRow?
        let competing: [StepRow]
        let inConflict: Bool
        let participants: [ParticipantRow]
        let hasParticipants: Bool
        let notes: [NoteRow]
        let hasNotes: Bool
        let newNoteLink: String
        let openConflicts: Int
        let conflictsLine: String
        let conflicts: [ConflictRow]
        let hasConflicts: Bool
        let timeline: [CaseTimelineRow]
        /// The address showing more of the timeline; nil when all is shown.
        let timelineMoreLink: String?
    }

    struct ParticipantRow: Sendable {
        let editLink: String
        let name: String
        let role: String
        let contact: String?
        let age: String?
    }

    struct NoteRow: Sendable {
        let link: String
        let date: String?
        let kind: String
        let title: String
        let finalized: Bool
        let status: String
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get { request, _ in try await agenda(request) }
        group.get("cases") { request, _ in
            guard let id = request.uri.queryParameters.get("q") else { return try await cases(request, query: nil) }
            guard let query = await state.rememberedSearch(id) else { return try await cases(request, query: nil, searchForgotten: true) }
            return try await cases(request, query: query)
        }
        // A search is posted, never put in the address: its words (often a
        // family's name or a citizen reference) would stay in the browser's
        // history, on disk and unencrypted. The answer is a redirect to the
        // results under an opaque id, so that Reload and Back show them
        // again without the browser's "send the form again?".
        group.post("cases") { request, _ in
            let form = try await PageForm.decode(SearchForm.self, from: request, csrfToken: state.csrfToken,
                                                 limit: AppRoutes.maximumFormBytes)
            guard let query = form.q.nonBlank else { return PageHeaders.redirect(to: "\(state.base)/cases") }
            return PageHeaders.redirect(to: "\(state.base)/cases?q=\(await state.rememberSearch(query))")
        }
        group.get("cases/:id") { request, context in
            try await casePage(request, id: try context.parameters.require("id"),
                               events: CaseTimelineRow.count(asked: request.uri.queryParameters.get("events")))
        }
    }

    private func agenda(_ request: Request) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let (reads, catalogues) = (try await state.openedSession(), AppRoutes.catalogues)
        let today = Self.today()
        let rows = try await reads.agenda(today: today).map { entry in
            row(entry.step, today: today, language: language, caseTitle: entry.caseTitle, citizenReference: entry.citizenReference,
                competing: entry.isCompeting)
        }
        let frame = try await AppFrame.make(title: catalogues.text("agendaHeading", language), section: .agenda, language: language,
                                            state: state, reads: reads)
        return AppRoutes.renderer.page("agenda", AppPage(
            t: catalogues.texts(for: language), frame: frame,
            content: AgendaContent(steps: rows, isEmpty: rows.isEmpty, overdueCount: rows.filter(\.overdue).count)))
    }

    struct SearchForm: PageFormBody {
        let csrf: String?
        let q: String?
    }

    /// Every case, or those `query` finds.
    private func cases(_ request: Request, query: String?, searchForgotten: Bool = false) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let (reads, catalogues) = (try await state.openedSession(), AppRoutes.catalogues)
        let today = Self.today()
        let found = try await reads.cases(matching: query ?? "")
            .sorted { ($0.record?.title ?? "", $0.caseState.id) < ($1.record?.title ?? "", $1.caseState.id) }
        let rows = found.map { view in
            let record = view.record
            return CaseRow(
                link: "\(state.base)/cases/\(view.caseState.id)", title: record?.title ?? catalogues.text("untitled", language),
                citizenReference: record?.citizenReference,
                status: catalogues.word("caseStatus", (record?.status ?? .open).rawValue, language),
                nextStep: view.currentNextStep.map { row($0, today: today, language: language) },
                openConflicts: view.openConflictCount)
        }
        let frame = try await AppFrame.make(title: catalogues.text("casesHeading", language), section: .cases, language: language,
                                            state: state, reads: reads)
        let resultLine = query.map { catalogues.text(rows.count == 1 ? "casesFoundOne" : "casesFoundMany", language, String(rows.count), $0) }
            ?? catalogues.text(rows.count == 1 ? "casesAllOne" : "casesAllMany", language, String(rows.count))
        return AppRoutes.renderer.page("cases", AppPage(
            t: catalogues.texts(for: language), frame: frame,
            content: CasesContent(query: query ?? "", searched: query != nil, cases: rows, isEmpty: rows.isEmpty, resultLine: resultLine,
                                  searchForgotten: searchForgotten)))
    }

    private func casePage(_ request: Request, id: String, events: Int) async throws -> Response {
        let language = AppRoutes.language(language, request)
        let (reads, catalogues) = (try await state.openedSession(), AppRoutes.catalogues)
        guard let caseID = EntityID(id) else { throw PageError.caseNotFound }
        let view: CaseView
        do {
            view = try await reads.openCase(caseID)
        } catch FieldError.notACase {
            throw PageError.caseNotFound
        }
        let today = Self.today()
        let dates = DateText(language)
        let plan = view.nextStepPlan
        let record = view.record
        let title = record?.title ?? catalogues.text("untitled", language)
        let participants = view.participants.sorted { ($0.name ?? "", $0.id) < ($1.name ?? "", $1.id) }.map { participant in
            ParticipantRow(editLink: "\(state.base)/cases/\(caseID)/participants/\(participant.id)",
                           name: participant.name ?? catalogues.text("noName", language),
                           role: catalogues.word("role", participant.role.rawValue, language), contact: participant.contact,
                           age: participant.age.map { catalogues.text("participantAge", language, String($0)) })
        }
        let notes = view.notes.reversed().map { note in
            NoteRow(link: "\(state.base)/notes/\(note.id)", date: note.date.map { dates.day(year: $0.year, month: $0.month, day: $0.day) },
                    kind: catalogues.word("noteKind", note.kind.rawValue, language),
                    title: note.title.nonBlank ?? catalogues.text("untitled", language), finalized: note.status == .finalized,
                    status: catalogues.text(note.status == .finalized ? "noteFinalized" : "noteDraft", language))
        }
        let openConflicts = view.openConflicts
        let conflicts = openConflicts.count
        let involved = Dictionary(([view.caseState] + view.entities).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let conflictRows = openConflicts.map { ConflictRow($0, in: involved, base: state.base, language: language) }
        let timeline = view.timeline(limit: events)
        let caseLink = "\(state.base)/cases/\(caseID)"
        let content = CaseContent(
            link: caseLink, title: title, citizenReference: record?.citizenReference,
            status: catalogues.word("caseStatus", (record?.status ?? .open).rawValue, language),
            primaryCaseworker: record?.primaryCaseworker?.description,
            members: (record?.members ?? []).map(\.description).joined(separator: ", "),
            nextStep: plan.isInConflict ? nil : plan.current.map { row($0, today: today, language: language) },
            competing: plan.isInConflict ? plan.competing.map { row($0, today: today, language: language, competing: true) } : [],
            inConflict: plan.isInConflict,
            participants: participants, hasParticipants: !participants.isEmpty, notes: notes, hasNotes: !notes.isEmpty,
            newNoteLink: "\(state.base)/cases/\(caseID)/notes/new",
            openConflicts: conflicts,
            conflictsLine: conflicts == 0 ? catalogues.text("conflictsNone", language)
                : catalogues.text(conflicts == 1 ? "conflictsOne" : "conflictsMany", language, String(conflicts)),
            conflicts: conflictRows, hasConflicts: !conflictRows.isEmpty,
            timeline: CaseTimelineRow.rows(timeline, of: view, base: state.base, language: language),
            timelineMoreLink: timeline.hasMore && events < CaseTimelineRow.maximumCount
                ? "\(caseLink)?events=\(min(events + CaseTimelineRow.firstCount * 2, CaseTimelineRow.maximumCount))#timeline" : nil)
        // The window title goes into the browser's history, unencrypted on
        // disk: a word, never the case's title (often the family's name).
        let frame = try await AppFrame.make(title: catalogues.text("caseHeading", language), section: .cases, language: language,
                                            state: state, reads: reads)
        return AppRoutes.renderer.page("case", AppPage(t: catalogues.texts(for: language), frame: frame, content: content))
    }

    private func row(
        _ step: NextStep, today: CalendarDate, language: Language, caseTitle: String? = nil, citizenReference: String? = nil,
        competing: Bool = false
    ) -> StepRow {
        let catalogues = AppRoutes.catalogues
        return StepRow(
            text: step.text ?? catalogues.text("noText", language),
            due: step.due.map { DateText(language).day(year: $0.year, month: $0.month, day: $0.day) },
            responsible: step.responsible, overdue: step.isOverdue(today: today), competing: competing,
            caseLink: "\(state.base)/cases/\(step.caseID)", caseTitle: caseTitle ?? catalogues.text("untitled", language),
            citizenReference: citizenReference)
    }

    /// Today in the office's calendar: what makes a deadline overdue.
    static func today(now: Date = Date()) -> CalendarDate {
        let day = DateText.today(now: now)
        return CalendarDate(year: day.year, month: day.month, day: day.day)!
    }
}
