import Synchronization

/// A replica store that lives in memory only: for simulations, tests and
/// benchmarks, and the reference the SQLite store is checked against.
public final class InMemoryReplicaStore: ReplicaStore {
    private let state: Mutex<ReplicaState>

    public init(_ state: ReplicaState = ReplicaState()) {
        self.state = Mutex(state)
    }

    public var snapshot: ReplicaState { state.withLock { $0 } }

    @discardableResult
    public func apply(_ operations: [Operation]) async throws -> ReplicaState.ApplyOutcome {
        try state.withLock { state throws(OperationError) in try state.apply(operations) }
    }

    public func knowledge() async throws -> ReplicaKnowledge {
        state.withLock { $0.knowledge }
    }

    public func operations(in ranges: [SequenceRange]) async throws -> [Operation] {
        state.withLock { state in ranges.flatMap { state.operations(of: $0.replica, seqs: $0.seqs) } }
    }

    public func entity(_ id: EntityID) async throws -> EntityState? {
        state.withLock { $0.entity(id) }
    }

    public func entities(inCase caseID: EntityID) async throws -> [EntityState] {
        state.withLock { $0.entities(inCase: caseID) }
    }

    public func conflicts(inCase caseID: EntityID?) async throws -> [ConflictRecord] {
        state.withLock { $0.conflicts(inCase: caseID) }
    }

    public func operationCount() async throws -> Int {
        state.withLock { $0.operationCount }
    }
}
