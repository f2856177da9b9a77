/// Everything a replica knows about one entity: every operation ever received
/// for it (its history) and the merged state those operations define.
///
/// `apply` is commutative and idempotent: any order, any duplication of the
/// same operations gives an equal state. Everything a reader sees (values,
/// conflicts, addenda) is computed from this state alone.
public struct EntityState: Sendable {
    public let id: EntityID
    /// Every operation for this entity, by id: the full history. Nothing is
    /// removed from it, ever.
    public private(set) var operations: [OperationID: Operation] = [:]
    private var registers: [String: Register] = [:]
    private var sets: [String: ObservedRemoveSet] = [:]
    private var creations: [OperationID] = []
    private var deletions: [OperationID] = []
    private var finalizations: [OperationID] = []
    private var resolutions: [OperationID] = []

    public init(id: EntityID) {
        self.id = id
    }

    /// Applies one operation for this entity. Returns false if it was already held.
    @discardableResult
    public mutating func apply(_ operation: Operation) -> Bool {
        guard operations.updateValue(operation, forKey: operation.id) == nil else { return false }
        switch operation.change {
        case .create:
            creations.append(operation.id)
        case .set(let field, _, let predecessors):
            applyToRegister(field, operation.id, predecessors)
        case .resolve(let field, _, let supersedes, _):
            resolutions.append(operation.id)
            applyToRegister(field, operation.id, supersedes)
        case .add(let field, let element):
            sets[field, default: ObservedRemoveSet()].add(element, tag: operation.id)
        case .remove(let field, _, let predecessors):
            let operations = self.operations
            sets[field, default: ObservedRemoveSet()].remove(tags: predecessors) { tag in
                if case .add(field, let element)? = operations[tag]?.change { element } else { nil }
            }
        case .delete:
            deletions.append(operation.id)
        case .finalize:
            finalizations.append(operation.id)
        }
        return true
    }

    private mutating func applyToRegister(_ field: String, _ id: OperationID, _ predecessors: [OperationID]) {
        let operations = self.operations
        registers[field, default: Register()].apply(id, replacing: predecessors) { operations[$0] != nil }
    }

    // MARK: Identity

    private var creation: Operation? { creations.min().flatMap { operations[$0] } }

    /// The type named by the creating operation; nil until it has arrived.
    public var entityType: String? {
        if case .create(let type)? = creation?.change { type } else { nil }
    }

    /// The case the entity belongs to, as its creating operation says (or, until
    /// that arrives, its earliest known operation).
    public var caseID: EntityID {
        (creation ?? operations.values.min(by: { $0.id < $1.id }))?.caseID ?? id
    }

    public var isCreated: Bool { !creations.isEmpty }
    public var isDeleted: Bool { !deletions.isEmpty }
    /// Whether a finalization is held and the entity's type is one that is
    /// finalized (a note, §5.1). A finalization of anything else has no
    /// effect: one of a case, stored before the write rules refused it, must
    /// not freeze the case (its members, its title) for good.
    public var isFinalized: Bool {
        !finalizations.isEmpty && entityType.map { CaseworkSchema.entities[$0]?.kinds.contains("finalize") == true } == true
    }
    /// The earliest finalization, for display.
    public var finalization: Operation? { isFinalized ? finalizations.min().flatMap { operations[$0] } : nil }
    public var creationOperation: Operation? { creation }

    // MARK: Values

    /// Names of every field that has ever been written, known to this version or not.
    public var fieldNames: [String] {
        Set(registers.keys).union(sets.keys).sorted()
    }

    /// The visible value of a single-valued field, or nil if it was never set.
    /// For a finalized entity: the value as finalized, whatever came later.
    public func value(of field: String) -> JSONValue? {
        valueOperation(of: field).flatMap { Self.payloadValue(of: operations[$0]) }
    }

    /// The operation whose value is visible.
    public func valueOperation(of field: String) -> OperationID? {
        if isFinalized { return frozenHeads(of: field, frozen: frozenOperations()).max() }
        return registers[field]?.winner
    }

    /// All values of the field not replaced by a later write: more than one
    /// means concurrent writes.
    public func concurrentOperations(of field: String) -> [OperationID] {
        if isFinalized { return frozenHeads(of: field, frozen: frozenOperations()).sorted() }
        return (registers[field]?.heads ?? []).sorted()
    }

    /// The elements of a set-valued field, in a canonical order.
    public func elements(of field: String) -> [JSONValue] {
        if isFinalized {
            let frozen = frozenOperations()
            var set = ObservedRemoveSet()
            for operation in history(of: field) where frozen.contains(operation.id) {
                Self.apply(operation, to: &set, in: operations)
            }
            return set.elements
        }
        return sets[field]?.elements ?? []
    }

    /// The additions of an element that are still in effect: what a removal must name.
    public func liveTags(of element: JSONValue, in field: String) -> [OperationID] {
        sets[field]?.liveTags(of: element) ?? []
    }

    /// Every operation that touched the field, oldest first: its history.
    public func history(of field: String) -> [Operation] {
        operations.values.filter { $0.field == field }.sorted { $0.id < $1.id }
    }

    /// The whole history of the entity, oldest first.
    public var orderedOperations: [Operation] {
        operations.values.sorted { $0.id < $1.id }
    }

    static func payloadValue(of operation: Operation?) -> JSONValue? {
        switch operation?.change {
        case .set(_, let value, _)?, .resolve(_, let value, _, _)?: value
        default: nil
        }
    }

    private static func apply(_ operation: Operation, to set: inout ObservedRemoveSet, in operations: [OperationID: Operation]) {
        switch operation.change {
        case .add(_, let element): set.add(element, tag: operation.id)
        case .remove(let field, _, let tags):
            set.remove(tags: tags) { tag in
                if case .add(field, let element)? = operations[tag]?.change { element } else { nil }
            }
        default: break
        }
    }

    // MARK: Finalization

    /// What a finalization made now on this replica freezes: for each
    /// single-valued field its current values, for each set-valued field every
    /// addition and removal seen (additions do not replace one another, so
    /// each must be named).
    public func finalizationContext() -> [String: [OperationID]] {
        var context: [String: [OperationID]] = [:]
        for (field, register) in registers { context[field] = register.heads.sorted() }
        for field in sets.keys {
            context[field, default: []].append(contentsOf: history(of: field).compactMap { operation in
                switch operation.change {
                case .add, .remove: operation.id
                default: nil
                }
            })
        }
        return context
    }


    /// The operations that make up the finalized record: everything named in a
    /// finalization's context and everything those operations replaced,
    /// transitively. With concurrent finalizations, the union.
    func frozenOperations() -> Set<OperationID> {
        var frozen: Set<OperationID> = []
        var pending: [OperationID] = []
        for id in finalizations {
            if case .finalize(let context)? = operations[id]?.change {
                for ids in context.values { pending.append(contentsOf: ids) }
            }
        }
        while let id = pending.popLast() {
            guard frozen.insert(id).inserted, let operation = operations[id] else { continue }
            pending.append(contentsOf: Self.replaced(by: operation))
        }
        return frozen
    }

    /// Closure of what the given operations replaced, themselves included.
    private func ancestry(of roots: [OperationID]) -> Set<OperationID> {
        var reached: Set<OperationID> = []
        var pending = roots
        while let id = pending.popLast() {
            guard reached.insert(id).inserted, let operation = operations[id] else { continue }
            pending.append(contentsOf: Self.replaced(by: operation))
        }
        return reached
    }

    static func replaced(by operation: Operation) -> [OperationID] {
        switch operation.change {
        case .set(_, _, let predecessors), .remove(_, _, let predecessors): predecessors
        case .resolve(_, _, let supersedes, _): supersedes
        case .create, .add, .delete, .finalize: []
        }
    }

    private func frozenHeads(of field: String, frozen: Set<OperationID>) -> [OperationID] {
        let candidates = history(of: field).filter { operation in
            guard frozen.contains(operation.id) else { return false }
            if case .set = operation.change { return true }
            if case .resolve = operation.change { return true }
            return false
        }
        var replaced: Set<OperationID> = []
        for operation in candidates { replaced.formUnion(Self.replaced(by: operation)) }
        return candidates.map(\.id).filter { !replaced.contains($0) }
    }

    /// Changes to a finalized entity that its finalization did not include,
    /// oldest first: late edits and corrections, and the supervisors'
    /// decisions (`resolve`) made after it, which the record does not take
    /// (it never changes) but which must show where the note is shown, not
    /// only in the conflict log (Protocol.md §7). Empty for an entity that is
    /// not finalized.
    public func addenda() -> [Addendum] {
        guard isFinalized else { return [] }
        let frozen = frozenOperations()
        return orderedOperations.compactMap { operation in
            guard !frozen.contains(operation.id), let field = operation.field else { return nil }
            if case .resolve(_, _, _, let reason) = operation.change {
                return Addendum(field: field, value: ConflictValue(operation), reason: reason)
            }
            return Addendum(field: field, value: ConflictValue(operation), reason: nil)
        }
    }

    /// The record's current values of a field (§7): for a single-valued field
    /// the values not replaced within the record; for a set-valued one the
    /// additions whose element is in the record's set, one per tag still in
    /// effect there.
    private func recordValueOperations(of field: String, frozen: Set<OperationID>) -> [OperationID] {
        guard sets[field] != nil else { return frozenHeads(of: field, frozen: frozen) }
        var set = ObservedRemoveSet()
        for operation in history(of: field) where frozen.contains(operation.id) {
            Self.apply(operation, to: &set, in: operations)
        }
        return set.live.values.flatMap { $0 }.sorted()
    }

    // MARK: Conflicts

    /// Open and resolved conflict records of this entity, sorted by id.
    public func conflicts() -> [ConflictRecord] {
        var records: [ConflictRecord] = []
        let frozen = isFinalized ? frozenOperations() : []
        let lateResolutions = resolutions.filter { isFinalized && !frozen.contains($0) }
        let settledLate = ancestry(of: lateResolutions.flatMap { operations[$0].map(Self.replaced(by:)) ?? [] })

        for id in resolutions {
            guard let operation = operations[id],
                  case .resolve(let field, let value, let supersedes, let reason) = operation.change
            else { continue }
            let settlesLateChange = isFinalized && lateResolutions.contains(id)
                && supersedes.contains { operations[$0] != nil && !frozen.contains($0) }
            records.append(record(
                id: id.description,
                kind: settlesLateChange ? .editAfterFinalization : .concurrentValues,
                field: field,
                values: supersedes.compactMap { operations[$0] },
                resolution: Resolution(
                    operation: id, author: operation.author, value: value, supersedes: supersedes.sorted(),
                    reason: reason)))
        }

        for field in registers.keys {
            let heads = isFinalized ? frozenHeads(of: field, frozen: frozen) : registers[field]!.heads
            let headOperations = heads.compactMap { operations[$0] }
            let distinct = Set(headOperations.compactMap { Self.payloadValue(of: $0) })
            let settled = isFinalized && heads.allSatisfy { settledLate.contains($0) }
            if distinct.count > 1 && !settled {
                records.append(openRecord(.concurrentValues, field: field, values: headOperations))
            }
        }

        if isFinalized {
            var lateByField: [String: [Operation]] = [:]
            for operation in operations.values where !frozen.contains(operation.id) && !settledLate.contains(operation.id) {
                switch operation.change {
                case .set(let field, _, _), .add(let field, _), .remove(let field, _, _):
                    lateByField[field, default: []].append(operation)
                default: continue
                }
            }
            for (field, late) in lateByField {
                let record = recordValueOperations(of: field, frozen: frozen).compactMap { operations[$0] }
                records.append(openRecord(.editAfterFinalization, field: field, values: record + late))
            }
        }
        return records.sorted { $0.id < $1.id }
    }

    private func openRecord(_ kind: ConflictRecord.Kind, field: String, values: [Operation]) -> ConflictRecord {
        record(id: "\(id)/\(field)/\(kind.rawValue)", kind: kind, field: field, values: values, resolution: nil)
    }

    private func record(
        id: String, kind: ConflictRecord.Kind, field: String, values: [Operation], resolution: Resolution?
    ) -> ConflictRecord {
        ConflictRecord(
            id: id, kind: kind, caseID: caseID, entity: self.id, entityType: entityType, field: field,
            values: values.sorted { $0.id < $1.id }.map(ConflictValue.init), resolution: resolution)
    }
}
