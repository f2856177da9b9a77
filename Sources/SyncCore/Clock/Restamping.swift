/// New ids for operations a replica wrote itself and that never left it,
/// stamped by a clock that was wrong: before 2020 or from 2100 on (which no
/// replica can read back, Protocol.md §3), or further ahead of the server's
/// clock than it accepts (§10.3). Such an operation was never stored anywhere
/// else, so nothing outside this replica can name it: giving it a new id is
/// safe, provided every reference to the old id on this replica follows.
///
/// The new ids keep the replica and the operations' order (by `seq`), and
/// count up from `first`: one millisecond's counter after another, as the
/// hybrid clock would have stamped them in a burst. `first` must lie above
/// every stamp the replica keeps, so that its ids stay unique and increasing.
public struct Restamping: Sendable, Equatable {
    /// Old id to new id, for every re-stamped operation.
    public let newIDs: [OperationID: OperationID]
    /// The lowest new stamp.
    public let first: HLCTimestamp?
    /// The highest new stamp: the replica's clock continues from it.
    public let last: HLCTimestamp?

    public init(_ operations: [Operation], from first: HLCTimestamp) {
        var newIDs: [OperationID: OperationID] = [:]
        var next = first
        var last: HLCTimestamp?
        for operation in operations.sorted(by: { $0.seq < $1.seq }) {
            newIDs[operation.id] = OperationID(timestamp: next, replica: operation.replica)
            last = next
            next = HybridLogicalClock.successor(of: next, atLeast: 0)
        }
        self.newIDs = newIDs
        self.first = operations.isEmpty ? nil : first
        self.last = last
    }

    public var isEmpty: Bool { newIDs.isEmpty }

    /// The operation with its new id (if it is re-stamped) and every
    /// operation id it names renamed: predecessors, a resolution's
    /// `supersedes`, a finalization's context. Nothing else in an operation
    /// holds operation ids (values are the fields' own data).
    public func applied(to operation: Operation) -> Operation {
        func renamed(_ ids: [OperationID]) -> [OperationID] { ids.map { newIDs[$0] ?? $0 } }
        let change: Operation.Change = switch operation.change {
        case .set(let field, let value, let predecessors):
            .set(field: field, value: value, predecessors: renamed(predecessors))
        case .remove(let field, let element, let predecessors):
            .remove(field: field, element: element, predecessors: renamed(predecessors))
        case .finalize(let context):
            .finalize(context: context.mapValues(renamed))
        case .resolve(let field, let value, let supersedes, let reason):
            .resolve(field: field, value: value, supersedes: renamed(supersedes), reason: reason)
        case .create, .add, .delete:
            operation.change
        }
        return Operation(
            id: newIDs[operation.id] ?? operation.id, seq: operation.seq, author: operation.author,
            caseID: operation.caseID, entity: operation.entity, change: change)
    }

    /// Whether the operation names (or is) a re-stamped operation.
    public func touches(_ operation: Operation) -> Bool { applied(to: operation) != operation }
}
