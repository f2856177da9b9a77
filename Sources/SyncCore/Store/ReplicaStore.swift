/// Where a replica keeps its operations. SyncCore decides what operations mean;
/// a store only has to keep them, durably or not, and hand them back.
///
/// Every implementation must pass the conformance suite in the tests
/// (`ReplicaStoreConformance`): in particular, `apply` is atomic (all of a batch
/// or none of it) and idempotent (applying a batch again changes nothing).
public protocol ReplicaStore: Sendable {
    /// Stores a batch in one transaction. Throws `OperationError` and stores
    /// nothing if any operation conflicts with what is held.
    @discardableResult
    func apply(_ operations: [Operation]) async throws -> ReplicaState.ApplyOutcome

    /// What the store holds, per author replica.
    func knowledge() async throws -> ReplicaKnowledge

    /// The held operations in the given ranges, in range order and then
    /// sequence order.
    func operations(in ranges: [SequenceRange]) async throws -> [Operation]

    func entity(_ id: EntityID) async throws -> EntityState?

    /// The case's entities, the case itself included, sorted by id.
    func entities(inCase caseID: EntityID) async throws -> [EntityState]

    /// Conflict records, open and resolved, of one case or of every case.
    func conflicts(inCase caseID: EntityID?) async throws -> [ConflictRecord]

    func operationCount() async throws -> Int
}
