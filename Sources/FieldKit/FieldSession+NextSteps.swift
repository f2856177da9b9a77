import SyncCore

/// Feedforward: every case has one current next step, and the agenda lists them.
extension FieldSession {
    /// Sets the case's next step: changes the current open step (only the
    /// fields that differ), or creates one and names it the case's current
    /// step if there is none. Returns the plan it was set on: while that
    /// `isInConflict`, the first of its competing steps was changed.
    @discardableResult
    public func setNextStep(in caseID: EntityID, _ draft: NextStepDraft) async throws -> NextStepPlan {
        let plan = try await loadCase(caseID).nextStepPlan
        let fields = draft.fields(defaultResponsible: settings.user)
        if let current = plan.current {
            try await replica.write { author, lookup in
                guard var state = try lookup(current.id) else { throw FieldError.unknownID(current.id.description) }
                return try author.setChanged(fields, on: &state)
            }
        } else {
            _ = try await replica.createNextStep(inCase: caseID, fields: fields)
        }
        return plan
    }

    /// Marks the case's current next step done and, if `next` is given, sets
    /// the one that follows, in one transaction: a case is never left
    /// without a step in between. Returns the step that was done.
    @discardableResult
    public func completeNextStep(in caseID: EntityID, then next: NextStepDraft? = nil) async throws -> NextStep {
        guard let current = try await loadCase(caseID).currentNextStep else { throw FieldError.noOpenNextStep }
        let following = next?.fields(defaultResponsible: settings.user)
        try await replica.write { author, lookup in
            // Checked again in the transaction: a completion that ran since
            // the read above (a second click, another window, a sync) has done
            // the step already, and this one must neither mark it twice nor
            // set a second, competing, following step.
            guard let step = try lookup(current.id), !step.isDeleted, NextStep(step)?.status == .open else {
                throw FieldError.noOpenNextStep
            }
            var operations = [try author.set(NextStep.Field.status, to: .string(NextStep.Status.done.rawValue), on: step)]
            if let following, let caseState = try lookup(caseID) {
                var random = SystemRandomSource()
                operations += try author.createNextStep(following, in: caseState, using: &random)
            }
            return operations
        }
        return current
    }

    /// Every open next step across the cases on this laptop (competing ones
    /// all, marked), overdue first, then by deadline; with `horizon`, only
    /// those due by then and the overdue ones. Each case with a next step is
    /// logged as read (`agenda`).
    public func agenda(today: CalendarDate = .today(), dueBy horizon: CalendarDate? = nil) async throws -> [AgendaItem] {
        var items: [AgendaItem] = []
        var read: [EntityID] = []
        for view in try await replica.caseSummaries() where !view.caseState.isDeleted {
            let plan = view.nextStepPlan
            for step in plan.live {
                let overdue = step.isOverdue(today: today)
                if let horizon, let due = step.due, due > horizon, !overdue { continue }
                items.append(AgendaItem(step: step, caseTitle: view.record?.title, citizenReference: view.record?.citizenReference,
                                        isCompeting: plan.isCompeting(step), isOverdue: overdue))
            }
            if !view.nextSteps.isEmpty { read.append(view.caseState.id) }
        }
        try await replica.recordReads(of: read, what: "agenda")
        let far = CalendarDate(year: 9999, month: 12, day: 31)!
        // An open step is overdue exactly when its deadline has passed, so
        // the deadline's order puts the overdue ones first.
        return items.sorted { ($0.step.due ?? far, $0.caseTitle ?? "") < ($1.step.due ?? far, $1.caseTitle ?? "") }
    }
}
