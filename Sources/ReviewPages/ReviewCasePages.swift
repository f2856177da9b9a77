import Foundation
import Hummingbird
import PageKit
import SyncCore
import SyncService

/// The list of cases, one case's timeline and next steps, and handover.
struct ReviewCasePages {
    let database: ServerDatabase

    struct CaseRow: Sendable {
        let title: String
        let link: String
        let citizenRef: String
        let status: String
        let primaryCaseworker: String
        let members: String
        let openConflicts: Int
    }

    struct CasesPage: Sendable {
        let chrome: PageChrome
        let cases: [CaseRow]
    }

    struct NextStepRow: Sendable {
        let text: String
        let responsible: String
        let due: String
        let status: String
        let isOverdue: Bool
        /// One of two or more steps set at the same time for the case: a conflict to settle.
        let isCompeting: Bool
    }

    struct NoteRow: Sendable {
        let title: String
        let kind: String
        let date: String
        let status: String
        let author: String
        /// Supervisors' decisions made after the note was finalized: the record
        /// keeps its text, so they are shown beside it (Protocol.md §7).
        let decisions: [String]
    }

    /// One line per supervisor's decision made after the note was finalized.
    static func decisions(of note: Note) -> [String] {
        note.addenda.filter { $0.isDecision }.map { (decision: Addendum) -> String in
            let time = ReviewTime.text(milliseconds: Int64(decision.value.milliseconds))
            let value = ReviewConflictPages.display(decision.value.value)
            return "\(decision.field) decided \(time) by \(decision.value.author.name): \(value) (\(decision.reason ?? ""))"
        }
    }

    struct ParticipantRow: Sendable {
        let name: String
        let role: String
        let age: String
    }

    struct ConflictRow: Sendable {
        let link: String
        let subject: String
        let field: String
        let values: Int
    }

    struct UserOption: Sendable {
        let name: String
        let label: String
    }

    struct CasePage: Sendable {
        let chrome: PageChrome
        let caseID: String
        let title: String
        let citizenRef: String
        let status: String
        let primaryCaseworker: String
        let members: String
        let today: String
        let currentStep: NextStepRow?
        let competingSteps: [NextStepRow]
        let nextSteps: [NextStepRow]
        let overdueCount: Int
        let conflicts: [ConflictRow]
        let notes: [NoteRow]
        let participants: [ParticipantRow]
        let timeline: [CaseTimeline.Entry]
        let handoverUsers: [UserOption]
        let handoverAction: String
        let formError: String?
        let handoverNote: String
        let auditLink: String
    }

    struct HandoverForm: ReviewFormBody {
        let csrf: String?
        let to: String?
        let note: String?
        let removePrevious: String?
    }

    func addRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.get("cases") { _, context in
            let session = try context.requireReviewSession()
            let counts = try await database.openConflictCountsPerCase()
            let rows = try await database.reviewCases().compactMap { state -> CaseRow? in
                guard let file = Case(state) else { return nil }
                return CaseRow(
                    title: ReviewConflictPages.caseTitle(state), link: "/review/cases/\(state.id)",
                    citizenRef: file.citizenReference ?? "", status: file.status.rawValue,
                    primaryCaseworker: file.primaryCaseworker?.name ?? "none",
                    members: CaseMembership.members(of: state).sorted().joined(separator: ", "),
                    openConflicts: counts[state.id.description] ?? 0)
            }
            try await database.recordAudit(.casesListed, actor: session.user.name, device: session.replica.description,
                                           detail: ["via": "review", "count": .integer(Int64(rows.count))])
            return ReviewRenderer.shared.page("cases", CasesPage(chrome: PageChrome("Cases", session: session), cases: rows))
        }
        group.get("cases/:case") { _, context in
            let session = try context.requireReviewSession()
            let caseID = try Self.caseID(context)
            let page = try await casePage(caseID, session: session, form: nil, error: nil)
            try await database.recordAudit(.caseViewed, actor: session.user.name, device: session.replica.description,
                                           caseID: caseID.description, detail: ["via": "review", "what": "case-timeline"])
            return ReviewRenderer.shared.page("case", page)
        }
        group.post("cases/:case/handover") { request, context in
            let session = try context.requireReviewSession()
            let caseID = try Self.caseID(context)
            let form = try await ReviewForm.decode(HandoverForm.self, from: request, session: session)
            return try await handover(caseID, form: form, session: session)
        }
    }

    static func caseID(_ context: SyncRequestContext) throws -> EntityID {
        let text = context.parameters.get("case") ?? ""
        guard let caseID = EntityID(text) else { throw ReviewPageError.notFound("'\(text)' is not a case id.") }
        return caseID
    }

    private func casePage(_ caseID: EntityID, session: ReviewSession, form: HandoverForm?, error: String?) async throws -> CasePage {
        guard let loaded = try await database.reviewCase(caseID),
              let caseState = loaded.entities.first(where: { $0.id == caseID }), let file = Case(caseState)
        else { throw ReviewPageError.notFound("There is no case \(caseID).") }
        let names = try await database.deviceNames(loaded.entities.flatMap { $0.orderedOperations.map(\.replica.description) })
        let today = ReviewTime.day(milliseconds: database.now)
        let todayDate = CalendarDate(today)
        // The steps in force (`NextStepPlan`): an open step a resolution did not choose is not overdue.
        let plan = NextStepPlan(caseState: caseState, entities: loaded.entities)
        let steps = plan.live
            .sorted { ($0.due.map { "\($0)" } ?? "9999", $0.id) < ($1.due.map { "\($0)" } ?? "9999", $1.id) }
        func row(_ step: NextStep) -> NextStepRow {
            NextStepRow(
                text: step.text ?? "", responsible: step.responsible ?? "", due: step.due?.description ?? "no due date",
                status: step.status.rawValue, isOverdue: todayDate.map { step.isOverdue(today: $0) } ?? false,
                isCompeting: plan.isCompeting(step))
        }
        let stepRows = steps.map(row)
        let conflicts = loaded.entities.flatMap { entity in
            entity.conflicts().filter(\.isOpen).map {
                ConflictRow(link: ReviewConflictPages.conflictLink($0.id), subject: ReviewConflictPages.entityLabel(entity),
                            field: $0.field, values: $0.values.count)
            }
        }
        let notes = loaded.entities.compactMap(Note.init).sorted { ($0.date?.description ?? "", $0.id) < ($1.date?.description ?? "", $1.id) }
        let users = try await database.activeUsers()
        return CasePage(
            chrome: PageChrome(ReviewConflictPages.caseTitle(caseState), session: session),
            caseID: caseID.description, title: ReviewConflictPages.caseTitle(caseState),
            citizenRef: file.citizenReference ?? "", status: file.status.rawValue,
            primaryCaseworker: file.primaryCaseworker?.name ?? "none",
            members: CaseMembership.members(of: caseState).sorted().joined(separator: ", "),
            today: today, currentStep: plan.current.map(row), competingSteps: plan.competing.map(row), nextSteps: stepRows, overdueCount: stepRows.filter(\.isOverdue).count,
            conflicts: conflicts,
            notes: notes.map {
                NoteRow(title: $0.title ?? "Untitled", kind: $0.kind.rawValue, date: $0.date?.description ?? "",
                        status: $0.status.rawValue, author: $0.author?.name ?? "",
                        decisions: Self.decisions(of: $0))
            },
            participants: loaded.entities.compactMap(Participant.init).map {
                ParticipantRow(name: $0.name ?? "", role: $0.role.rawValue, age: $0.age.map(String.init) ?? "")
            },
            timeline: CaseTimeline.entries(entities: loaded.entities, receivedAt: loaded.receivedAt, deviceNames: names),
            handoverUsers: users.filter { $0.name != file.primaryCaseworker?.name }.map {
                UserOption(name: $0.name, label: "\($0.name) (\($0.role.rawValue))")
            },
            handoverAction: "/review/cases/\(caseID)/handover", formError: error, handoverNote: form?.note ?? "",
            auditLink: "/review/access-log?case=\(caseID)")
    }

    /// A handover is the change `field case assign` makes (the new caseworker
    /// becomes a member and the primary caseworker), the previous primary
    /// caseworker's removal when asked for, and the handover note as a note of
    /// kind `other` in the case: all of it case data, in one batch, so that the
    /// new caseworker's laptop receives it with the whole case.
    private func handover(_ caseID: EntityID, form: HandoverForm, session: ReviewSession) async throws -> Response {
        func refuse(_ message: String) async throws -> Response {
            ReviewRenderer.shared.page("case", try await casePage(caseID, session: session, form: form, error: message), status: .badRequest)
        }
        guard let to = form.to.nonBlank, let newUser = UserID(to),
              try await database.activeUsers().contains(where: { $0.name == to })
        else { return try await refuse("Choose the user who takes over the case.") }
        guard let noteText = form.note.nonBlank?.withUnixLineBreaks else {
            return try await refuse("Write a handover note: what the next caseworker needs to know.")
        }
        let removePrevious = form.removePrevious == "yes"
        let today = ReviewTime.day(milliseconds: database.now)
        _ = try await database.writeFromReview(session, entities: [caseID]) { author, states in
            guard var caseState = states[caseID], caseState.entityType == EntityType.caseFile else {
                throw ReviewPageError.notFound("There is no case \(caseID).")
            }
            let previous = caseState.value(of: Case.Field.primaryCaseworker)?.stringValue
            guard previous != newUser.name else {
                throw ReviewPageError.badRequest("\(newUser.name) is already the primary caseworker of this case.")
            }
            var operations: [SyncCore.Operation] = []
            func record(_ operation: SyncCore.Operation) {
                caseState.apply(operation)
                operations.append(operation)
            }
            do {
                // Members never written means "its creator"; writing the set
                // must not drop the creator by accident.
                let members = CaseMembership.members(of: caseState)
                if !CaseMembership.isWritten(caseState) {
                    for member in members.sorted() where !(removePrevious && member == previous) {
                        record(try author.add(.string(member), to: Case.Field.members, on: caseState))
                    }
                }
                if !CaseMembership.members(of: caseState).contains(newUser.name) {
                    record(try author.add(.string(newUser.name), to: Case.Field.members, on: caseState))
                }
                record(try author.set(Case.Field.primaryCaseworker, to: .string(newUser.name), on: caseState))
                if removePrevious, let previous, !caseState.liveTags(of: .string(previous), in: Case.Field.members).isEmpty {
                    record(try author.remove(.string(previous), from: Case.Field.members, on: caseState))
                }
                var random = SystemRandomSource()
                let created = author.create(EntityType.note, inCase: caseID, using: &random)
                operations.append(created)
                var note = EntityState(id: created.entity)
                note.apply(created)
                let fields: [(String, JSONValue)] = [
                    (Note.Field.kind, .string(Note.Kind.other.rawValue)),
                    (Note.Field.title, .string("Handover to \(newUser.name)")),
                    (Note.Field.date, .string(today)),
                    (Note.Field.body, .string(noteText)),
                ]
                for (field, value) in fields {
                    let operation = try author.set(field, to: value, on: note)
                    note.apply(operation)
                    operations.append(operation)
                }
            } catch let error as OperationAuthor.AuthoringError {
                throw ReviewPageError.badRequest(error.description)
            }
            return operations
        }
        return ReviewRenderer.redirect(to: "/review/cases/\(caseID)")
    }
}
