/// One of the values involved in a conflict, with everything needed to judge it:
/// who wrote it, on which device, when, and the operation that carries it.
public struct ConflictValue: Hashable, Sendable {
    public enum Change: String, Hashable, Sendable {
        case set, add, remove, resolve
    }

    public let operation: OperationID
    public let author: UserID
    public let change: Change
    public let value: JSONValue

    public var device: ReplicaID { operation.replica }
    public var milliseconds: UInt64 { operation.timestamp.milliseconds }

    init(_ operation: Operation) {
        self.operation = operation.id
        self.author = operation.author
        switch operation.change {
        case .set(_, let value, _): (change, self.value) = (.set, value)
        case .add(_, let element): (change, self.value) = (.add, element)
        case .remove(_, let element, _): (change, self.value) = (.remove, element)
        case .resolve(_, let value, _, _): (change, self.value) = (.resolve, value)
        case .create, .delete, .finalize: (change, self.value) = (.set, .null)
        }
    }
}

/// How a conflict was settled: itself an operation, so it syncs like any other.
public struct Resolution: Hashable, Sendable {
    public let operation: OperationID
    public let author: UserID
    public let value: JSONValue
    public let supersedes: [OperationID]
    public let reason: String

    public var device: ReplicaID { operation.replica }
    public var milliseconds: UInt64 { operation.timestamp.milliseconds }
}

/// A conflict on one field of one entity, open or resolved. Computed from the
/// operations a replica holds and nothing else, so every replica that holds the
/// same operations computes the same records.
public struct ConflictRecord: Hashable, Sendable, Identifiable {
    public enum Kind: String, Hashable, Sendable {
        /// Two or more values written without seeing each other.
        case concurrentValues = "concurrent-values"
        /// A change to a finalized note that the finalization did not include: kept
        /// as an addendum, never applied to the record.
        case editAfterFinalization = "edit-after-finalization"
    }

    /// Open conflicts: `<entity>/<field>/<kind>` (at most one of each kind per
    /// field). Resolved ones: the id of the resolving operation.
    public let id: String
    public let kind: Kind
    public let caseID: EntityID
    public let entity: EntityID
    public let entityType: String?
    public let field: String
    /// Sorted by operation id.
    public let values: [ConflictValue]
    public let resolution: Resolution?

    public var isOpen: Bool { resolution == nil }
}

/// A change to a finalized note that arrived after (or concurrently with) its
/// finalization. Shown with the note, dated and signed, never merged into it.
public struct Addendum: Hashable, Sendable {
    public let field: String
    public let value: ConflictValue
    /// A supervisor's decision (`value.change == .resolve`) carries its reason.
    public let reason: String?

    /// Whether this is a supervisor's decision on the field rather than an edit.
    public var isDecision: Bool { value.change == .resolve }
}
