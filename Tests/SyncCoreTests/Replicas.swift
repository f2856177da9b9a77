import SyncCore
import SyncTestSupport

/// A small cast for example-based tests: replicas with their own clock, author
/// and state, that exchange operations only when told to.
struct TestReplica {
    var state = ReplicaState()
    var author: OperationAuthor
    let clock: ManualWallClock
    var written: [Operation] = []

    init(_ user: String, seed: UInt64, clockOffset: UInt64 = 0) {
        var random = SeededRandom(seed: seed)
        clock = ManualWallClock(milliseconds: ManualWallClock.monday + clockOffset)
        author = OperationAuthor(replica: ReplicaID(using: &random), user: UserID(user)!, wallClock: clock)
    }

    @discardableResult
    mutating func write(_ make: (inout OperationAuthor, ReplicaState) throws -> Operation) throws -> Operation {
        clock.advance(by: 1_000)
        let operation = try make(&author, state)
        try state.apply([operation])
        written.append(operation)
        return operation
    }

    mutating func receive(from other: TestReplica) throws {
        let operations = other.state.entities.values.flatMap { $0.orderedOperations }
        try state.apply(operations)
        author.observe(operations)
    }

    func entity(_ id: EntityID) -> EntityState { state.entity(id)! }
}

extension ReplicaState {
    func only(_ id: EntityID) -> EntityState { entity(id)! }
}
