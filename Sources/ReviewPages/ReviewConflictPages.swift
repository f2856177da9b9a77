import Foundation
import Hummingbird
import PageKit
import SyncCore
import SyncService

/// The conflict queue, one conflict side by side, and its resolution.
struct ReviewConflictPages {
    let database: ServerDatabase

    // MARK: Page models (rendered by mustache through reflection)

    struct Option: Sendable {
        let value: String
        let label: String
        let selected: Bool
    }

    struct QueueRow: Sendable {
        let link: String
        let caseTitle: String
        let caseLink: String
        let entityType: String
        let field: String
        let kind: String
        let valueCount: Int
        let authors: String
        let latest: String
    }

    struct CaseCount: Sendable {
        let title: String
        let link: String
        let count: Int
    }

    struct QueuePage: Sendable {
        let chrome: PageChrome
        let cases: [Option]
        let authors: [Option]
        let field: String
        let orders: [Option]
        let statuses: [Option]
        let rows: [QueueRow]
        let total: Int
        let counts: [CaseCount]
    }

    struct ValueView: Sendable {
        let number: Int
        let choice: String
        let operation: String
        let author: String
        let device: String
        let deviceName: String
        let written: String
        let received: String
        let change: String
        let isDisplayed: Bool
        let segments: [WordDiff.Segment]
        let checked: Bool
    }

    struct ResolutionView: Sendable {
        let author: String
        let device: String
        let deviceName: String
        let time: String
        let reason: String
        let value: String
    }

    struct HistoryRow: Sendable {
        let time: String
        let author: String
        let change: String
        let value: String
        let operation: String
    }

    struct ConflictPage: Sendable {
        let chrome: PageChrome
        let id: String
        let caseTitle: String
        let caseLink: String
        let entityType: String
        let entity: String
        let entityLabel: String
        let field: String
        let kind: String
        let isOpen: Bool
        let isTextDiff: Bool
        /// Competing next steps: one of them is kept, no merged value.
        let isNextStep: Bool
        let values: [ValueView]
        let valueIDs: String
        let resolution: ResolutionView?
        let history: [HistoryRow]
        let mergedChecked: Bool
        let merged: String
        let reason: String
        let formError: String?
        let mergedIsJSON: Bool
    }

    struct ResolveForm: ReviewFormBody {
        let csrf: String?
        let id: String?
        let values: String?
        let choice: String?
        let merged: String?
        let reason: String?
    }

    func addRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.get("conflicts") { request, context in try await queue(request, context) }
        group.get("conflict") { request, context in
            let session = try context.requireReviewSession()
            guard let id = request.uri.queryParameters["id"].map(String.init), !id.isEmpty, id.count <= 200 else {
                throw ReviewPageError.badRequest("Which conflict? The address needs ?id= with a conflict id from the queue.")
            }
            let page = try await conflictPage(id, session: session, form: nil, error: nil)
            try await database.recordAudit(
                .conflictsViewed, actor: session.user.name, device: session.replica.description, caseID: page.caseID,
                detail: ["via": "review", "conflict": .string(id)])
            return ReviewRenderer.shared.page("conflict", page.model)
        }
        group.post("conflict/resolve") { request, context in try await resolve(request, context) }
    }

    // MARK: Queue

    private func queue(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let session = try context.requireReviewSession()
        let query = request.uri.queryParameters
        func parameter(_ name: String) -> String? { query[Substring(name)].map(String.init).nonBlank }
        // The queue shows up to 500 records.
        var filter = ServerDatabase.ConflictQuery(limit: 500)
        var selectedCase: EntityID?
        if let text = parameter("case") {
            guard let caseID = EntityID(text) else { throw ReviewPageError.badRequest("'\(text)' is not a case id.") }
            selectedCase = caseID
            filter.caseIDs = [caseID]
        }
        if let text = parameter("caseworker") {
            guard UserID(text) != nil else { throw ReviewPageError.badRequest("'\(text)' is not a user name.") }
            filter.author = text
        }
        if let text = parameter("field") {
            guard FieldName.isValid(text) else { throw ReviewPageError.badRequest("'\(text)' is not a field name.") }
            filter.field = text
        }
        let order = parameter("order") ?? "newest"
        guard ["newest", "oldest"].contains(order) else { throw ReviewPageError.badRequest("Order is newest or oldest.") }
        filter.oldestFirst = order == "oldest"
        let status = parameter("status") ?? "open"
        guard let conflictStatus = ServerDatabase.ConflictStatus(rawValue: status) else {
            throw ReviewPageError.badRequest("Status is open, resolved or all.")
        }
        filter.status = conflictStatus

        let conflicts = try await database.conflicts(filter)
        let cases = try await database.reviewCases()
        let titles = Dictionary(uniqueKeysWithValues: cases.map { ($0.id.description, Self.caseTitle($0)) })
        let counts = try await database.openConflictCountsPerCase()
        let users = try await database.activeUsers()
        let rows = conflicts.map { document -> QueueRow in
            let caseID = document.member("case")?.stringValue ?? ""
            let values = document.member("values")?.arrayValue ?? []
            let latest = values.compactMap { $0.member("time")?.integerValue }.max() ?? 0
            let authors = Set(values.compactMap { $0.member("author")?.stringValue }).sorted()
            return QueueRow(
                link: Self.conflictLink(document.member("id")?.stringValue ?? ""),
                caseTitle: titles[caseID] ?? caseID, caseLink: "/review/cases/\(caseID)",
                entityType: document.member("entityType")?.stringValue ?? "unknown", field: document.member("field")?.stringValue ?? "",
                kind: document.member("kind")?.stringValue ?? "", valueCount: values.count,
                authors: authors.joined(separator: ", "), latest: ReviewTime.text(milliseconds: latest))
        }
        try await database.recordAudit(
            .conflictsViewed, actor: session.user.name, device: session.replica.description, caseID: selectedCase?.description,
            detail: ["via": "review", "status": .string(status), "caseworker": filter.author.map(JSONValue.string) ?? .null,
                     "field": filter.field.map(JSONValue.string) ?? .null, "count": .integer(Int64(rows.count))])
        let page = QueuePage(
            chrome: PageChrome("Conflict queue", session: session),
            cases: [Option(value: "", label: "All cases", selected: selectedCase == nil)] + cases.map {
                Option(value: $0.id.description, label: Self.caseTitle($0), selected: $0.id == selectedCase)
            },
            authors: [Option(value: "", label: "Everyone", selected: filter.author == nil)] + users.map {
                Option(value: $0.name, label: $0.name, selected: $0.name == filter.author)
            },
            field: filter.field ?? "",
            orders: [Option(value: "newest", label: "Newest first", selected: order == "newest"),
                     Option(value: "oldest", label: "Oldest first", selected: order == "oldest")],
            statuses: ServerDatabase.ConflictStatus.allCases.map {
                Option(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0.rawValue == status)
            },
            rows: rows, total: rows.count,
            counts: counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
                CaseCount(title: titles[$0.key] ?? $0.key, link: "/review/conflicts?case=\($0.key)", count: $0.value)
            })
        return ReviewRenderer.shared.page("conflicts", page)
    }

    // MARK: One conflict

    /// The page and the SyncCore record it shows.
    struct LoadedConflict {
        let model: ConflictPage
        let record: ConflictRecord
        let caseID: String
    }

    private func conflictPage(_ id: String, session: ReviewSession, form: ResolveForm?, error: String?) async throws -> LoadedConflict {
        guard let entity = try await database.conflictEntity(id) else {
            throw ReviewPageError.notFound("There is no conflict '\(id)'. It may have been resolved since; see the queue.")
        }
        guard let merged = try await database.mergedEntities([entity])[entity],
              let record = merged.state.conflicts().first(where: { $0.id == id })
        else { throw ReviewPageError.notFound("There is no conflict '\(id)'.") }
        let caseState = try await database.mergedEntities([record.caseID])[record.caseID]?.state
        let names = try await database.deviceNames(record.values.map(\.device.description) + [record.resolution?.device.description].compactMap { $0 })
        let displayed = merged.state.valueOperation(of: record.field)
        // Competing next steps are named by entity id: show what each step is.
        var describe: (JSONValue) -> String = Self.display
        if Self.isNextStepConflict(record), let loaded = try await database.reviewCase(record.caseID) {
            let steps = Dictionary(loaded.entities.compactMap(NextStep.init).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            describe = { value in
                guard let id = value.stringValue.flatMap(EntityID.init), let step = steps[id] else { return Self.display(value) }
                return "Next step “\(step.text ?? "")” — \(step.responsible ?? "nobody"), due \(step.due?.description ?? "no date")"
                    + " (\(step.status.rawValue)) [\(id)]"
            }
        }
        let isTextDiff = record.values.count >= 2 && record.values.allSatisfy { $0.value.stringValue != nil }
            && !Self.isNextStepConflict(record)
        let chosen = form?.choice
        let values = record.values.enumerated().map { index, value -> ValueView in
            let text = describe(value.value)
            let segments: [WordDiff.Segment]
            if isTextDiff {
                // Each value is compared with the first; the first with the second.
                let other = record.values[index == 0 ? 1 : 0].value.stringValue ?? ""
                segments = WordDiff.segments(of: text, comparedWith: other)
            } else {
                segments = [WordDiff.Segment(text: text, differs: false)]
            }
            return ValueView(
                number: index + 1, choice: "value-\(index + 1)", operation: value.operation.description, author: value.author.name,
                device: value.device.description, deviceName: names[value.device.description] ?? "unknown device",
                written: ReviewTime.text(milliseconds: Int64(value.milliseconds)),
                received: merged.receivedAt[value.operation].map { ReviewTime.text(milliseconds: Int64($0)) } ?? "not received",
                change: value.change.rawValue, isDisplayed: value.operation == displayed, segments: segments,
                checked: chosen == "value-\(index + 1)")
        }
        let history = merged.state.history(of: record.field).map { operation in
            HistoryRow(
                time: ReviewTime.text(milliseconds: Int64(operation.milliseconds)), author: operation.author.name,
                change: operation.kindName, value: describe(Self.payload(of: operation) ?? .null),
                operation: operation.id.description)
        }
        let resolution = record.resolution.map { resolution in
            ResolutionView(
                author: resolution.author.name, device: resolution.device.description,
                deviceName: names[resolution.device.description] ?? "unknown device",
                time: ReviewTime.text(milliseconds: Int64(resolution.milliseconds)), reason: resolution.reason,
                value: describe(resolution.value))
        }
        let displayedValue = record.values.first { $0.operation == displayed }?.value ?? record.values.last?.value ?? .null
        let model = ConflictPage(
            chrome: PageChrome(record.isOpen ? "Conflict on \(record.field)" : "Resolved conflict on \(record.field)", session: session),
            id: record.id, caseTitle: caseState.map(Self.caseTitle) ?? record.caseID.description,
            caseLink: "/review/cases/\(record.caseID)", entityType: record.entityType ?? "unknown",
            entity: record.entity.description, entityLabel: Self.entityLabel(merged.state),
            field: record.field, kind: record.kind.rawValue, isOpen: record.isOpen, isTextDiff: isTextDiff,
            isNextStep: Self.isNextStepConflict(record), values: values,
            valueIDs: record.values.map(\.operation.description).joined(separator: ","), resolution: resolution, history: history,
            mergedChecked: chosen == "merged", merged: form?.merged ?? Self.display(displayedValue),
            reason: form?.reason ?? "", formError: error, mergedIsJSON: !Self.isTextField(record))
        return LoadedConflict(model: model, record: record, caseID: record.caseID.description)
    }

    // MARK: Resolution

    private func resolve(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let session = try context.requireReviewSession()
        let form = try await ReviewForm.decode(ResolveForm.self, from: request, session: session)
        guard let id = form.id.nonBlank, id.count <= 200 else { throw ReviewPageError.badRequest("The form names no conflict.") }
        let loaded = try await conflictPage(id, session: session, form: form, error: nil)
        let record = loaded.record
        func refuse(_ message: String, status: HTTPResponse.Status = .badRequest) async throws -> Response {
            let page = try await conflictPage(id, session: session, form: form, error: message)
            return ReviewRenderer.shared.page("conflict", page.model, status: status)
        }
        guard record.isOpen else {
            return try await refuse("This conflict is already resolved.", status: .conflict)
        }
        guard form.values == record.values.map(\.operation.description).joined(separator: ",") else {
            return try await refuse(
                "The conflict changed while you were looking at it (a laptop synced another value). Review the values below and decide again.",
                status: .conflict)
        }
        guard let reason = form.reason.nonBlank?.withUnixLineBreaks else {
            return try await refuse("Give a reason: it is part of the record.")
        }
        guard reason.utf8.count <= 4096 else { return try await refuse("The reason may be at most 4096 bytes.") }
        let value: JSONValue
        switch form.choice {
        case "merged"? where Self.isNextStepConflict(record):
            return try await refuse("Competing next steps are settled by keeping one of them: pick the step that holds.")
        case "merged"?:
            guard let text = form.merged?.withUnixLineBreaks, !text.isEmpty else {
                return try await refuse("Write the merged value, or pick one of the values.")
            }
            if Self.isTextField(record) {
                value = .string(text)
            } else {
                guard let parsed = try? OperationCodec.parse(Data(text.utf8), path: "merged") else {
                    return try await refuse("The merged value of this field must be written as JSON, such as \"2026-12-01\", true or 12.")
                }
                value = parsed
            }
        case let choice? where choice.hasPrefix("value-"):
            guard let number = Int(choice.dropFirst(6)), record.values.indices.contains(number - 1) else {
                return try await refuse("Pick one of the values shown.")
            }
            value = record.values[number - 1].value
        default:
            return try await refuse("Pick one of the values, or write a merged value.")
        }
        let operations = try await database.writeFromReview(session, entities: [record.entity]) { author, _ in
            do {
                return [try author.resolve(record, with: value, reason: reason)]
            } catch let error as OperationAuthor.AuthoringError {
                throw ReviewPageError.badRequest(error.description)
            }
        }
        context.logger.info("conflict resolved on the review pages", metadata: ["conflict": "\(id)", "operation": "\(operations.first?.id.description ?? "")"])
        return ReviewRenderer.redirect(to: Self.conflictLink(operations.first?.id.description ?? id))
    }

    // MARK: Helpers

    static func conflictLink(_ id: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        return "/review/conflict?id=" + (id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id)
    }

    static func caseTitle(_ state: EntityState) -> String {
        state.value(of: Case.Field.title)?.stringValue ?? "Untitled case \(state.id.description.prefix(8))"
    }

    static func entityLabel(_ state: EntityState) -> String {
        let type = state.entityType ?? "entity"
        let name = state.value(of: Note.Field.title)?.stringValue ?? state.value(of: Participant.Field.name)?.stringValue
            ?? state.value(of: NextStep.Field.text)?.stringValue
        return name.map { "\(type) “\($0)”" } ?? "\(type) \(state.id.description.prefix(8))"
    }

    /// A value as a person reads it: strings as they are, anything else as JSON.
    static func display(_ value: JSONValue) -> String {
        if let text = value.stringValue { return text }
        return String(decoding: OperationCodec.canonicalBytes(value), as: UTF8.self)
    }

    static func payload(of operation: SyncCore.Operation) -> JSONValue? {
        switch operation.change {
        case .set(_, let value, _), .resolve(_, let value, _, _): value
        case .add(_, let element), .remove(_, let element, _): element
        case .create, .delete, .finalize: nil
        }
    }

    /// A conflict over a case's current next step: its values name steps.
    static func isNextStepConflict(_ record: ConflictRecord) -> Bool {
        record.entityType == EntityType.caseFile && record.field == Case.Field.nextStep
    }

    /// Whether a merged value is written as plain text: every value involved is a string.
    static func isTextField(_ record: ConflictRecord) -> Bool {
        record.values.allSatisfy { $0.value.stringValue != nil }
    }
}
