/// Which of a case's next steps is the current one (feedforward: one current
/// next step per case), computed from the case and its entities alone, so
/// that every replica and the server agree (Protocol.md §5).
///
/// The case names its current step in its single-valued field `nextStep`,
/// written in the batch that creates the step. Two steps created without
/// either author seeing the other are therefore concurrent values of that
/// field: an ordinary conflict (§6.1), listed, logged and resolved like any
/// other. A sequential set names the earlier value as predecessor, or changes
/// the current step instead of creating one, and is no conflict.
///
/// A case whose `nextStep` was never written (written before this field
/// existed) keeps the earlier rule: every open step counts, and the current
/// one is the open step due first.
public struct NextStepPlan: Hashable, Sendable {
    /// Every next step of the case that is not deleted, by id.
    public let steps: [NextStep]
    /// The current next step: the open step the case names (the displayed
    /// value first while the field is in conflict); nil when there is none.
    public let current: NextStep?
    /// The steps the case's concurrent `nextStep` values name, displayed value
    /// first, while those values differ (an open conflict); else empty.
    public let competing: [NextStep]
    /// The open steps that are in force: the current one, and while in
    /// conflict every open competitor; for a case that never named its step,
    /// every open step. What the agenda lists and overdue counts consider.
    /// An open step the case no longer names (the one a resolution did not
    /// choose) is not in force.
    public let live: [NextStep]
    /// The case's `nextStep` holds two or more different concurrent values.
    public let isInConflict: Bool
    /// The case has named its current step (its `nextStep` was written).
    public let isNamed: Bool

    public init(caseState: EntityState, entities: [EntityState]) {
        var byID: [EntityID: NextStep] = [:]
        for entity in entities where entity.caseID == caseState.id && !entity.isDeleted {
            if let step = NextStep(entity) { byID[step.id] = step }
        }
        steps = byID.values.sorted { $0.id < $1.id }
        let heads = caseState.concurrentOperations(of: Case.Field.nextStep)
        guard !heads.isEmpty else {
            let farFuture = CalendarDate(year: 9999, month: 12, day: 31)!
            live = steps.filter { $0.status == .open }.sorted { ($0.due ?? farFuture, $0.id) < ($1.due ?? farFuture, $1.id) }
            current = live.first
            competing = []
            isInConflict = false
            isNamed = false
            return
        }
        isNamed = true
        // Greatest operation id first: the value §6.1 displays leads.
        let values = heads.sorted(by: >).compactMap { EntityState.payloadValue(of: caseState.operations[$0]) }
        isInConflict = Set(values).count > 1
        var named: [NextStep] = []
        for value in values {
            guard let text = value.stringValue, let id = EntityID(text), let step = byID[id],
                  !named.contains(where: { $0.id == id }) else { continue }
            named.append(step)
        }
        competing = isInConflict ? named : []
        live = named.filter { $0.status == .open }
        current = live.first
    }

    /// Whether `step` is one of the competing steps of an open conflict.
    public func isCompeting(_ step: NextStep) -> Bool {
        competing.contains { $0.id == step.id }
    }
}

extension OperationAuthor {
    /// Creates a next step in the case with `fields`, and names it the case's
    /// current next step in the same batch: the value replaces the case's
    /// displayed `nextStep` (and equal concurrent ones) as any `set` does, so
    /// a step created after seeing the previous one is no conflict, and two
    /// created without seeing each other are.
    public mutating func createNextStep<R: RandomSource>(
        _ fields: [(String, JSONValue)], in caseState: EntityState, using random: inout R
    ) throws(AuthoringError) -> [Operation] {
        let created = create(EntityType.nextStep, inCase: caseState.id, using: &random)
        var step = EntityState(id: created.entity)
        step.apply(created)
        var operations = [created]
        for (field, value) in fields {
            let operation = try set(field, to: value, on: step)
            step.apply(operation)
            operations.append(operation)
        }
        operations.append(try set(Case.Field.nextStep, to: .string(created.entity.description), on: caseState))
        return operations
    }
}
