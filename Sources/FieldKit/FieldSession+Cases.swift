import Foundation
import SyncCore

/// Cases: creating, finding and opening them. Whatever returns case data to
/// be shown logs the read (for the office's access log) before returning it.
extension FieldSession {
    /// The entity that `text` names: its id, or an unambiguous prefix of at
    /// least 6 digits (as a command line gives it).
    public func resolve(_ text: String) async throws -> EntityID {
        try await replica.resolveID(text)
    }

    /// Creates a case with this user as its member and primary caseworker; returns its id.
    /// A citizen reference holding a full CPR number is refused (`citizenReferenceIsCPR`).
    public func createCase(title: String, citizenReference: String? = nil) async throws -> EntityID {
        if let citizenReference, CitizenReference.holdsFullCPR(citizenReference) { throw FieldError.citizenReferenceIsCPR }
        let me = JSONValue.string(settings.user)
        var fields: [(String, JSONValue)] = [(Case.Field.title, .string(title))]
        if let citizenReference { fields.append((Case.Field.citizenReference, .string(citizenReference))) }
        fields += [(Case.Field.status, .string(Case.Status.open.rawValue)), (Case.Field.primaryCaseworker, me)]
        return try await replica.createEntity(EntityType.caseFile, inCase: nil, fields: fields, elements: [(Case.Field.members, me)])
    }

    /// The cases on this laptop whose title or citizen reference contains
    /// `search`, whatever the case of its letters (every case when `search`
    /// is blank), by id. Each one returned is logged as read (`case-list`).
    public func cases(matching search: String = "") async throws -> [CaseSummary] {
        let wanted = search.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let found = try await replica.caseSummaries().filter { summary in
            guard !summary.caseState.isDeleted else { return false }
            guard !wanted.isEmpty else { return true }
            let record = summary.record
            return [record?.title, record?.citizenReference].contains { $0?.lowercased().contains(wanted) == true }
        }
        try await replica.recordReads(of: found.map(\.caseState.id), what: "case-list")
        return found
    }

    /// A case with its participants, next steps, notes and conflicts, to be
    /// shown: logged as read (`case-show`).
    public func openCase(_ id: EntityID) async throws -> CaseView {
        let view = try await loadCase(id)
        try await replica.recordRead(caseID: id, what: "case-show")
        return view
    }
}
