/// The merged state of one replica: every entity it holds, and an index of
/// every operation by author replica and sequence number.
///
/// A pure value: applying the same set of operations in any order, any number
/// of times, yields equal states. The reference that the convergence
/// property tests and the merge benchmark apply histories to; the server and
/// the laptop keep operations in `OperationLog` (SyncPersistence) and rebuild
/// `EntityState`s from its rows with the same code.
public struct ReplicaState: Sendable {
    public private(set) var entities: [EntityID: EntityState] = [:]
    private var logs: [ReplicaID: ReplicaLog] = [:]
    public private(set) var operationCount = 0

    public init() {}

    /// The outcome of applying a batch.
    public struct ApplyOutcome: Hashable, Sendable {
        /// Operations that were new to this replica, in batch order.
        public var applied: [OperationID] = []
        /// Operations already held (a retried or overlapping batch).
        public var duplicates = 0

        public init(applied: [OperationID] = [], duplicates: Int = 0) {
            self.applied = applied
            self.duplicates = duplicates
        }
    }

    /// Applies a batch atomically: if any operation conflicts with what is held
    /// (same id with other content, or a sequence number taken by another
    /// operation), nothing is applied and the first problem is thrown.
    @discardableResult
    public mutating func apply(_ batch: [Operation], path: String = "operations") throws(OperationError) -> ApplyOutcome {
        var fresh: [Int] = []
        fresh.reserveCapacity(batch.count)
        var inBatch: [OperationID: Int] = [:]
        var claimed: [SequenceSlot: OperationID] = [:]
        if batch.count > 1 {
            inBatch.reserveCapacity(batch.count)
            claimed.reserveCapacity(batch.count)
        }
        for (index, operation) in batch.enumerated() {
            if let existing = entities.inPlace(operation.entity, { $0.operations[operation.id] }) ?? nil {
                guard existing == operation else {
                    throw OperationError(path: "\(path)[\(index)]", reason: .conflictingDuplicate)
                }
                continue
            }
            if batch.count > 1, let earlier = inBatch[operation.id] {
                guard batch[earlier] == operation else {
                    throw OperationError(path: "\(path)[\(index)]", reason: .conflictingDuplicate)
                }
                continue
            }
            let slot = SequenceSlot(replica: operation.replica, seq: operation.seq)
            let holder = (logs.inPlace(operation.replica) { $0.entry(at: operation.seq)?.id } ?? nil)
                ?? (batch.count > 1 ? claimed[slot] : nil)
            if let holder, holder != operation.id {
                throw OperationError(path: "\(path)[\(index)].seq", reason: .sequenceNumberTaken(holder))
            }
            if batch.count > 1 {
                inBatch[operation.id] = index
                claimed[slot] = operation.id
            }
            fresh.append(index)
        }
        var outcome = ApplyOutcome(applied: [], duplicates: batch.count - fresh.count)
        outcome.applied.reserveCapacity(fresh.count)
        for index in fresh {
            let operation = batch[index]
            insert(operation)
            outcome.applied.append(operation.id)
        }
        return outcome
    }

    private struct SequenceSlot: Hashable {
        let replica: ReplicaID
        let seq: UInt64
    }

    private mutating func insert(_ operation: Operation) {
        entities[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
        logs[operation.replica, default: ReplicaLog()].record(
            .init(id: operation.id, entity: operation.entity), at: operation.seq)
        operationCount += 1
    }

    // MARK: Reading

    public func entity(_ id: EntityID) -> EntityState? { entities[id] }

    public func operation(_ id: OperationID, entity: EntityID) -> Operation? {
        entities[entity]?.operations[id]
    }

    /// Entities of one case, the case itself included, sorted by id.
    public func entities(inCase caseID: EntityID) -> [EntityState] {
        entities.values.filter { $0.caseID == caseID }.sorted { $0.id < $1.id }
    }

    public func conflicts(inCase caseID: EntityID? = nil) -> [ConflictRecord] {
        entities.values
            .filter { caseID == nil || $0.caseID == caseID }
            .flatMap { $0.conflicts() }
            .sorted { $0.id < $1.id }
    }

    public var knowledge: ReplicaKnowledge {
        var knowledge = ReplicaKnowledge()
        for (replica, log) in logs {
            knowledge.contiguous[replica] = log.contiguousCount
            let early = log.earlySequenceNumbers
            if !early.isEmpty { knowledge.extra[replica] = early }
        }
        return knowledge
    }

    /// Every snapshot, sorted by entity id: the observable state.
    public func snapshots() -> [EntitySnapshot] {
        entities.values.sorted { $0.id < $1.id }.map(EntitySnapshot.init)
    }
}

extension Dictionary {
    /// Runs `body` on the value for `key` in place, without copying it out of
    /// the dictionary (a plain subscript read copies the value, which for an
    /// entity state means retaining and releasing every one of its buffers).
    @inline(__always)
    mutating func inPlace<Result>(_ key: Key, _ body: (inout Value) -> Result) -> Result? {
        guard let index = index(forKey: key) else { return nil }
        return body(&values[index])
    }
}
