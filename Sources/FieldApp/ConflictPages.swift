import FieldKit
import Foundation
import Hummingbird
import PageKit
import SyncCore

/// The open conflicts of the caseworker's cases, and one conflict with its
/// values side by side: who wrote each, on which laptop, when, and what
/// happens next. A supervisor settles it here as on the review pages (a
/// value picked or a merged one written, with a reason); it reaches the
/// server at the next sync like any change. Caseworkers see no form.
struct ConflictPages: FormPages {
    let state: AppState
    let language: Language?

    struct ListContent: Sendable {
        let rows: [ConflictRow]
        let isEmpty: Bool
        let countLine: String
    }

    struct ValueView: Sendable {
        let number: Int
        let heading: String
        let author: String
        let device: String
        let written: String
        let segments: [WordDiff.Segment]
        let choice: String
        let checked: Bool
    }

    struct SettledView: Sendable {
        let author: String
        let written: String
        let reason: String
        let value: String
    }

    struct SettleFormView: Sendable {
        let action: String
        let valueIDs: String
        let choiceError: String?
        let allowsMerged: Bool
        let mergedChecked: Bool
        /// A change after finalization: the note may stay as it was finalized.
        let allowsKeep: Bool
        let keepChecked: Bool
        let merged: FormInput
        let reason: FormInput
    }

    struct Content: Sendable {
        let heading: CaseHeading
        let subject: String
        let subjectLink: String?
        let field: String
        let kindText: String
        let isOpen: Bool
        let values: [ValueView]
        let isTextDiff: Bool
        /// Above the values: the conflict changed, or was settled, since the form was opened.
        let notice: String?
        let whatNext: String
        let settled: SettledView?
        let form: SettleFormView?
        let hasErrors: Bool
    }

    struct SettleForm: PageFormBody {
        let csrf: String?
        /// The operations of the values the form showed, so that a value
        /// synced in since is never settled unseen.
        let values: String?
        let choice: String?
        let merged: String?
        let reason: String?

        /// The form shown again over values numbered anew: the choice is made
        /// again; what was written stays.
        var withoutChoice: SettleForm {
            SettleForm(csrf: csrf, values: nil, choice: nil, merged: merged, reason: reason)
        }
    }

    /// Counted in characters (Unicode scalars, which a person counts as
    /// letters but for the rare composed emoji): 1,000 of them take at most
    /// 4,000 bytes, inside the 4,096 the protocol allows a reason.
    static let maximumReasonCharacters = 1000

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.get("conflicts") { request, _ in try await list(request) }
        group.get("conflicts/:entity/:field/:kind") { request, context in
            let (session, language) = try await opened(request)
            let detail = try await load(Self.id(context), session: session)
            return try await page(detail, form: nil, check: FormCheck(language), notice: nil, session: session)
        }
        group.post("conflicts/:entity/:field/:kind") { request, context in
            try await settle(request, id: Self.id(context))
        }
    }

    private static func id(_ context: BasicRequestContext) throws -> String {
        let parts = try ["entity", "field", "kind"].map { try context.parameters.require($0) }
        return parts.joined(separator: "/")
    }

    private func load(_ id: String, session: FieldSession) async throws -> ConflictDetail {
        do {
            return try await session.conflict(id)
        } catch FieldError.unknownID {
            throw PageError.conflictNotFound
        }
    }

    // MARK: The list

    private func list(_ request: Request) async throws -> Response {
        let (session, language) = try await opened(request)
        let list = try await session.openConflicts()
        let rows = list.conflicts.map { ConflictRow($0, in: list.entities, base: state.base, language: language) }
            .sorted { ($0.caseTitle, $0.subject, $0.field) < ($1.caseTitle, $1.subject, $1.field) }
        let catalogues = AppRoutes.catalogues
        let countLine = rows.isEmpty ? catalogues.text("conflictsListNone", language)
            : catalogues.text(rows.count == 1 ? "conflictsListOne" : "conflictsListMany", language, String(rows.count))
        return try await render("conflicts", titleKey: "conflictsListHeading",
                                content: ListContent(rows: rows, isEmpty: rows.isEmpty, countLine: countLine),
                                language: language, session: session)
    }

    // MARK: One conflict

    private func page(
        _ detail: ConflictDetail, form: SettleForm?, check: FormCheck, notice: String?, session: FieldSession,
        status: HTTPResponse.Status? = nil
    ) async throws -> Response {
        let language = check.language
        let catalogues = AppRoutes.catalogues
        let dates = DateText(language)
        let conflict = detail.conflict
        let view = CaseView(caseState: detail.caseState, entities: [])
        let caseLink = caseLink(detail.caseState.id)
        let display = { (value: JSONValue) in ConflictText.value(value, of: conflict, in: detail, language: language) }
        let isNextStep = conflict.isBetweenNextSteps
        let isTextDiff = conflict.values.count >= 2 && !isNextStep && conflict.values.allSatisfy { $0.value.stringValue != nil }
        let values = conflict.values.enumerated().map { index, value in
            let text = display(value.value)
            // Each value is compared with the first; the first with the second.
            let other = isTextDiff ? conflict.values[index == 0 ? 1 : 0].value.stringValue ?? "" : ""
            return ValueView(
                number: index + 1, heading: catalogues.text("conflictValueHeading", language, String(index + 1)),
                author: value.author.description,
                device: ConflictText.device(value, session: session, language: language),
                written: dates.dateAndTime(milliseconds: Int64(clamping: value.milliseconds)),
                segments: isTextDiff ? WordDiff.segments(of: text, comparedWith: other) : [WordDiff.Segment(text: text, differs: false)],
                choice: "value-\(index + 1)", checked: form?.choice == "value-\(index + 1)")
        }
        let settled = conflict.resolution.map { resolution in
            SettledView(author: resolution.author.description,
                        written: dates.dateAndTime(milliseconds: Int64(clamping: resolution.milliseconds)),
                        reason: resolution.reason, value: display(resolution.value))
        }
        let maySettle = session.maySettleConflicts
        var settleForm: SettleFormView?
        if conflict.isOpen, maySettle {
            settleForm = SettleFormView(
                action: ConflictText.link(conflict, base: state.base),
                valueIDs: Self.valueIDs(conflict), choiceError: check.errors["choice"],
                allowsMerged: ConflictText.mergedForm(conflict) != nil, mergedChecked: form?.choice == "merged",
                allowsKeep: FieldSession.mayKeepAsFinalized(conflict, in: detail.entity), keepChecked: form?.choice == "keep",
                merged: check.input("merged", form?.merged), reason: check.input("reason", form?.reason))
        }
        let whatNext: String
        switch (conflict.isOpen, maySettle, isNextStep) {
        case (false, _, _): whatNext = catalogues.text("conflictSettledNext", language)
        case (true, true, true): whatNext = catalogues.text("conflictNextSupervisorSteps", language)
        case (true, true, false): whatNext = catalogues.text("conflictNextSupervisor", language)
        case (true, false, true): whatNext = catalogues.text("conflictNextCaseworkerSteps", language)
        case (true, false, false): whatNext = catalogues.text("conflictNextCaseworker", language)
        }
        let content = Content(
            heading: view.heading(link: caseLink, language: language),
            subject: ConflictText.subject(detail.entity, language: language),
            subjectLink: detail.entity.entityType == EntityType.note ? "\(state.base)/notes/\(detail.entity.id)" : nil,
            field: ConflictText.field(conflict, language: language),
            kindText: catalogues.text(conflict.kind == .editAfterFinalization ? "conflictKindLate" : "conflictKindConcurrent", language),
            isOpen: conflict.isOpen, values: values, isTextDiff: isTextDiff, notice: notice, whatNext: whatNext,
            settled: settled, form: settleForm, hasErrors: !check.passed)
        return try await render("conflict", titleKey: conflict.isOpen ? "conflictHeading" : "conflictSettledHeading", content: content,
                                language: language, session: session, status: status ?? (check.passed ? .ok : .unprocessableContent))
    }

    private static func valueIDs(_ conflict: ConflictRecord) -> String {
        conflict.values.map(\.operation.description).joined(separator: ",")
    }

    // MARK: Settling

    private func settle(_ request: Request, id: String) async throws -> Response {
        let (session, language) = try await opened(request)
        // A merged value may be a whole note's text, posted at up to 6 bytes a letter.
        let form = try await decode(SettleForm.self, request, limit: NotePages.maximumFormBytes)
        guard session.maySettleConflicts else { throw PageError.supervisorsOnly }
        let detail = try await load(id, session: session)
        let conflict = detail.conflict
        let catalogues = AppRoutes.catalogues
        // Settled since the form was opened (another tab, a sync): the form
        // shows what was decided, and changes nothing.
        guard conflict.isOpen else {
            return try await page(detail, form: nil, check: FormCheck(language), notice: catalogues.text("conflictAlreadySettled", language),
                                  session: session, status: .conflict)
        }
        guard form.values == Self.valueIDs(conflict) else {
            return try await page(detail, form: form.withoutChoice, check: FormCheck(language), notice: catalogues.text("conflictChanged", language),
                                  session: session, status: .conflict)
        }
        var check = FormCheck(language)
        var choice: ConflictChoice?
        switch form.choice {
        case "merged"?:
            if let mergedForm = ConflictText.mergedForm(conflict) {
                if let text = NoteForm.text(form.merged), !BlankText.isBlank(text) {
                    // A date or a user name is stored as a JSON string; text as it is.
                    choice = .merged(mergedForm == .text ? text
                        : String(decoding: OperationCodec.canonicalBytes(.string(text.trimmingCharacters(in: .whitespacesAndNewlines))), as: UTF8.self))
                } else {
                    check.fail("merged", "conflictMergedMissing")
                }
            } else {
                check.fail("choice", "conflictChoiceMissing")
            }
        case "keep"? where FieldSession.mayKeepAsFinalized(conflict, in: detail.entity):
            choice = .keepAsFinalized
        case let picked? where picked.hasPrefix("value-"):
            if let number = Int(picked.dropFirst(6)), conflict.values.indices.contains(number - 1) {
                choice = .value(number: number)
            } else {
                check.fail("choice", "conflictChoiceMissing")
            }
        default:
            check.fail("choice", "conflictChoiceMissing")
        }
        let reason = check.required("reason", NoteForm.text(form.reason), "conflictReasonMissing")
        if let reason, reason.unicodeScalars.count > Self.maximumReasonCharacters {
            check.fail("reason", "conflictReasonTooLong", String(Self.maximumReasonCharacters))
        }
        guard check.passed, let choice, let reason else {
            return try await page(detail, form: form, check: check, notice: nil, session: session)
        }
        do {
            // The write checks the values again: a sync since the check above
            // may have brought one more.
            let shown = conflict.values.map(\.operation)
            try await session.resolveConflict(id, choice, reason: reason, shownValues: shown)
        } catch FieldError.conflictChanged {
            let now = try await load(id, session: session)
            return try await page(now, form: form.withoutChoice, check: FormCheck(language), notice: catalogues.text("conflictChanged", language),
                                  session: session, status: .conflict)
        } catch FieldError.mergedValueForm {
            check.fail("merged", "conflictMergedInvalid")
            return try await page(detail, form: form, check: check, notice: nil, session: session)
        } catch FieldError.citizenReferenceIsCPR {
            check.fail("merged", "citizenReferenceIsCPR")
            return try await page(detail, form: form, check: check, notice: nil, session: session)
        } catch FieldError.unknownID {
            // Settled by a sync between the check above and the write.
            let now = try await load(id, session: session)
            return try await page(now, form: nil, check: FormCheck(language), notice: catalogues.text("conflictAlreadySettled", language),
                                  session: session, status: .conflict)
        }
        return PageHeaders.redirect(to: ConflictText.link(conflict, base: state.base))
    }
}

/// One open conflict in a list: the conflicts page, and the case page's section.
struct ConflictRow: Sendable {
    let link: String
    let caseTitle: String
    let caseLink: String
    let subject: String
    let field: String
    let authors: String
    let latest: String

    init(_ conflict: ConflictRecord, in entities: [EntityID: EntityState], base: String, language: Language) {
        let catalogues = AppRoutes.catalogues
        link = ConflictText.link(conflict, base: base)
        caseTitle = entities[conflict.caseID].flatMap(Case.init)?.title ?? catalogues.text("untitled", language)
        caseLink = "\(base)/cases/\(conflict.caseID)"
        subject = entities[conflict.entity].map { ConflictText.subject($0, language: language) } ?? catalogues.text("untitled", language)
        field = ConflictText.field(conflict, language: language)
        var seen: Set<String> = []
        authors = conflict.values.map(\.author.description).filter { seen.insert($0).inserted }.joined(separator: ", ")
        latest = conflict.values.map(\.milliseconds).max().map { DateText(language).dateAndTime(milliseconds: Int64(clamping: $0)) } ?? ""
    }
}

/// A conflict in the reader's words: its address, what it is on, its values.
enum ConflictText {
    /// An open conflict's id is `<entity>/<field>/<kind>`: three path segments.
    static func link(_ conflict: ConflictRecord, base: String) -> String {
        "\(base)/conflicts/\(conflict.id)"
    }

    /// The entity in words: "Notat »Hjemmebesøg«", "Næste skridt »Ring til skolen«".
    static func subject(_ entity: EntityState, language: Language) -> String {
        let catalogues = AppRoutes.catalogues
        let name: String?
        switch entity.entityType {
        case EntityType.caseFile?: name = entity.value(of: Case.Field.title)?.stringValue
        case EntityType.note?: name = entity.value(of: Note.Field.title)?.stringValue
        case EntityType.nextStep?: name = entity.value(of: NextStep.Field.text)?.stringValue
        case EntityType.participant?: name = entity.value(of: Participant.Field.name)?.stringValue
        default: name = nil
        }
        let kind = catalogues.word("conflictEntity", entity.entityType ?? "unknown", language)
        guard let name, !BlankText.isBlank(name) else { return catalogues.text("conflictSubjectUnnamed", language, kind) }
        return catalogues.text("conflictSubject", language, kind, name)
    }

    static func field(_ conflict: ConflictRecord, language: Language) -> String {
        field(conflict.field, of: conflict.entityType, language: language)
    }

    static func field(_ field: String, of entityType: String?, language: Language) -> String {
        let prefix = switch entityType {
        case EntityType.note?: "noteField"
        case EntityType.nextStep?: "stepField"
        case EntityType.participant?: "participantField"
        default: "caseField"
        }
        return AppRoutes.catalogues.word(prefix, field, language)
    }

    /// A value as the reader reads it; a competing next step as what it says.
    static func value(_ value: JSONValue, of conflict: ConflictRecord, in detail: ConflictDetail, language: Language) -> String {
        let catalogues = AppRoutes.catalogues
        if conflict.isBetweenNextSteps {
            guard let step = detail.nextStep(named: value) else { return catalogues.text("noText", language) }
            var parts = [step.text ?? catalogues.text("noText", language)]
            if let due = step.due { parts.append(catalogues.text("dueBy", language) + " " + DateText(language).day(year: due.year, month: due.month, day: due.day)) }
            if let responsible = step.responsible { parts.append(responsible) }
            return parts.joined(separator: " · ")
        }
        if conflict.entityType == EntityType.note { return NoteText.value(value, field: conflict.field, language: language) }
        switch value {
        case .string(let text) where text.isEmpty: return catalogues.text("noteValueEmpty", language)
        case .string(let text) where conflict.field == NextStep.Field.due || conflict.field == Note.Field.date:
            return CalendarDate(text).map { DateText(language).day(year: $0.year, month: $0.month, day: $0.day) } ?? text
        case .string(let text) where conflict.field == Participant.Field.role && conflict.entityType == EntityType.participant:
            return catalogues.word("role", text, language)
        case .string(let text) where conflict.field == Case.Field.status && conflict.entityType == EntityType.caseFile:
            return catalogues.word("caseStatus", text, language)
        case .string(let text): return text
        case .null: return catalogues.text("noteValueEmpty", language)
        default: return String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self)
        }
    }

    /// The form of a merged value the page takes (text, a date, a user
    /// name, all written as they read); nil when only a pick settles it.
    static func mergedForm(_ conflict: ConflictRecord) -> CaseworkSchema.ValueForm? {
        guard !conflict.isBetweenNextSteps else { return nil }
        let form = conflict.entityType.flatMap { CaseworkSchema.entities[$0]?.fields[conflict.field]?.form }
        guard let form, [.text, .date, .userID].contains(form), conflict.values.allSatisfy({ $0.value.stringValue != nil }) else { return nil }
        return form
    }

    /// The laptop a value was written on, as a person tells them apart: this
    /// one, another of mine, or the one its writer used. (A laptop knows no
    /// other laptop's name; its id is no help to a reader.)
    static func device(_ value: ConflictValue, session: FieldSession, language: Language) -> String {
        let catalogues = AppRoutes.catalogues
        if value.device.description == session.settings.device { return catalogues.text("conflictThisLaptop", language) }
        if value.author.description == session.settings.user { return catalogues.text("conflictAnotherOfMine", language) }
        return catalogues.text("conflictOtherLaptop", language, value.author.description)
    }
}

extension PageError {
    static let conflictNotFound = PageError(status: .notFound, headingKey: "conflictNotFoundHeading", messageKey: "conflictNotFoundMessage")
    static let supervisorsOnly = PageError(status: .forbidden, headingKey: "supervisorsOnlyHeading", messageKey: "supervisorsOnlyMessage")

    static let conflictPageKeys: [String] = [conflictNotFound, supervisorsOnly].flatMap { [$0.headingKey, $0.messageKey] }
}
