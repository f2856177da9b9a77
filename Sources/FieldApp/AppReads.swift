import FieldKit
import Foundation
import SyncCore

/// Every read of case data the app's pages make, in one place, each logged in
/// the laptop's read log under the name the matching `field` command uses,
/// so that the office's access log shows the app's reads like the commands'.
/// (When FieldKit offers these operations itself, this file is what changes.)
struct AppReads: Sendable {
    let session: FieldSession

    struct AgendaEntry: Sendable {
        let step: NextStep
        let caseTitle: String?
        let citizenReference: String?
        /// One of several next steps set at the same time on different laptops.
        let isCompeting: Bool
    }

    /// Every open next step in force across my cases, by deadline, so the
    /// overdue come first; steps without a deadline last. As `field agenda`.
    func agenda() async throws -> [AgendaEntry] {
        var entries: [AgendaEntry] = []
        for caseState in try await session.replica.cases().filter({ !$0.isDeleted }) {
            let view = CaseView(caseState: caseState, entities: try await session.replica.entities(inCase: caseState.id))
            let plan = view.nextStepPlan
            for step in plan.live {
                entries.append(AgendaEntry(step: step, caseTitle: view.record?.title, citizenReference: view.record?.citizenReference,
                                           isCompeting: plan.isCompeting(step)))
            }
            if !view.nextSteps.isEmpty { try await session.replica.recordRead(caseID: caseState.id, what: "agenda") }
        }
        let far = CalendarDate(year: 9999, month: 12, day: 31)!
        return entries.sorted { ($0.step.due ?? far, $0.caseTitle ?? "") < ($1.step.due ?? far, $1.caseTitle ?? "") }
    }

    /// The cases whose title or citizen reference holds `query` (every case
    /// for none), by title; only the cases shown are logged, as `field case list`.
    func cases(matching query: String?) async throws -> [CaseView] {
        var shown: [CaseView] = []
        for caseState in try await session.replica.cases().filter({ !$0.isDeleted }) {
            let record = Case(caseState)
            if let query {
                let haystack = [record?.title, record?.citizenReference].compactMap { $0 }
                guard haystack.contains(where: { $0.range(of: query, options: .caseInsensitive) != nil }) else { continue }
            }
            shown.append(CaseView(caseState: caseState, entities: try await session.replica.entities(inCase: caseState.id)))
            try await session.replica.recordRead(caseID: caseState.id, what: "case-list")
        }
        return shown.sorted { ($0.record?.title ?? "", $0.caseState.id) < ($1.record?.title ?? "", $1.caseState.id) }
    }

    /// One case with everything in it, as `field case show`; nil when the id
    /// names no case on this laptop.
    func caseView(_ id: String) async throws -> CaseView? {
        guard let caseID = EntityID(id), let caseState = try await session.replica.entity(caseID),
              caseState.entityType == EntityType.caseFile, !caseState.isDeleted
        else { return nil }
        let view = CaseView(caseState: caseState, entities: try await session.replica.entities(inCase: caseID))
        try await session.replica.recordRead(caseID: caseID, what: "case-show")
        return view
    }

    /// Last sync and what waits to be sent: no case data, not logged.
    func syncState() async throws -> LocalReplica.Status {
        try await session.replica.status()
    }
}
