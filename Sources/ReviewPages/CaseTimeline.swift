import SyncCore

/// Everything that happened in a case, as one list: each operation of each of
/// its entities, described for a person, oldest first.
struct CaseTimeline {
    struct Entry: Sendable {
        let time: String
        let received: String
        let author: String
        let device: String
        /// case, note, participant, nextStep, membership, conflict, resolution…
        let category: String
        let subject: String
        let text: String
        /// The operation is one of the values of an open conflict.
        let inConflict: Bool
        let conflictLink: String?
        let operation: String
    }

    static let previewLength = 240

    static func entries(
        entities: [EntityState], receivedAt: [OperationID: UInt64], deviceNames: [String: String]
    ) -> [Entry] {
        var openConflictOf: [OperationID: String] = [:]
        for entity in entities {
            for record in entity.conflicts() where record.isOpen {
                for value in record.values { openConflictOf[value.operation] = record.id }
            }
        }
        var entries: [(OperationID, Entry)] = []
        for entity in entities {
            let subject = ReviewConflictPages.entityLabel(entity)
            for operation in entity.orderedOperations {
                let (category, text) = describe(operation, in: entity)
                let device = operation.replica.description
                entries.append((operation.id, Entry(
                    time: ReviewTime.text(milliseconds: Int64(operation.milliseconds)),
                    received: receivedAt[operation.id].map { ReviewTime.text(milliseconds: Int64($0)) } ?? "",
                    author: operation.author.name, device: deviceNames[device] ?? device,
                    category: category, subject: subject, text: text,
                    inConflict: openConflictOf[operation.id] != nil,
                    conflictLink: openConflictOf[operation.id].map(ReviewConflictPages.conflictLink),
                    operation: operation.id.description)))
            }
        }
        return entries.sorted { $0.0 < $1.0 }.map(\.1)
    }

    static func describe(_ operation: SyncCore.Operation, in entity: EntityState) -> (category: String, text: String) {
        let type = entity.entityType ?? "entity"
        let isCase = entity.entityType == EntityType.caseFile
        switch operation.change {
        case .create(let entityType):
            return (entityType, entityType == EntityType.caseFile ? "Case created" : "\(entityType) created")
        case .set(let field, let value, _):
            if isCase && field == Case.Field.primaryCaseworker {
                return ("membership", "Primary caseworker set to \(preview(value))")
            }
            return (type, "\(field) set to “\(preview(value))”")
        case .add(let field, let element):
            if isCase && field == Case.Field.members { return ("membership", "\(preview(element)) became a member") }
            return (type, "\(preview(element)) added to \(field)")
        case .remove(let field, let element, _):
            if isCase && field == Case.Field.members { return ("membership", "\(preview(element)) is no longer a member") }
            return (type, "\(preview(element)) removed from \(field)")
        case .delete:
            return (type, "\(type) deleted")
        case .finalize:
            return (type, "\(type) finalized: from now on a record that is not altered")
        case .resolve(let field, let value, let supersedes, let reason):
            return ("resolution", "Conflict on \(field) resolved (\(supersedes.count) values) with “\(preview(value))”. Reason: \(reason)")
        }
    }

    static func preview(_ value: JSONValue) -> String {
        let text = ReviewConflictPages.display(value)
        return text.count > previewLength ? String(text.prefix(previewLength)) + "…" : text
    }
}
