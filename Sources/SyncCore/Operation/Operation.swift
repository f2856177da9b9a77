/// One change made by one user on one replica: the unit that is stored, synced
/// and merged. Operations are immutable; the state of every entity is a function
/// of the set of operations a replica holds, whatever order they arrived in.
public struct Operation: Hashable, Sendable {
    /// Version of the operation encoding this value came from and will be
    /// written as. See Protocol.md.
    public static let currentVersion = 1

    public let id: OperationID
    /// Position in the author replica's own sequence: 1, 2, 3, ... without gaps.
    /// What version vectors count, so that sync knows exactly what is missing.
    public let seq: UInt64
    public let author: UserID
    /// The case this operation belongs to: the unit of access control and of
    /// partial replication. For a case itself, its own id.
    public let caseID: EntityID
    public let entity: EntityID
    public let change: Change

    public init(id: OperationID, seq: UInt64, author: UserID, caseID: EntityID, entity: EntityID, change: Change) {
        self.id = id
        self.seq = seq
        self.author = author
        self.caseID = caseID
        self.entity = entity
        self.change = change
    }

    /// The device the operation was written on.
    public var replica: ReplicaID { id.replica }
    /// When it was written, by the author's clock, in milliseconds since the epoch.
    public var milliseconds: UInt64 { id.timestamp.milliseconds }

    public enum Change: Hashable, Sendable {
        /// Brings an entity into existence with its type (`case`, `note`, ...;
        /// the merge takes any type, the write rules only `CaseworkSchema`'s).
        case create(entityType: String)
        /// Sets a single-valued field. `predecessors` are the values of this field
        /// the author had seen and replaces; values it had not seen stay as
        /// concurrent values, and the field is in conflict.
        case set(field: String, value: JSONValue, predecessors: [OperationID])
        /// Adds an element to a set-valued field. The operation id tags this
        /// addition, so that a concurrent removal cannot undo an addition it never saw.
        case add(field: String, element: JSONValue)
        /// Removes the additions of an element the author had seen.
        case remove(field: String, element: JSONValue, predecessors: [OperationID])
        /// Marks the entity deleted (a tombstone): nothing about it is erased.
        case delete
        /// Freezes the entity's content as the author saw it: for each field, the
        /// operations that make up the record. Used to finalize journal notes.
        case finalize(context: [String: [OperationID]])
        /// Settles a conflict: replaces the `supersedes` values with `value`, for
        /// the stated reason.
        case resolve(field: String, value: JSONValue, supersedes: [OperationID], reason: String)
    }

    /// The field a field-level change touches, if any.
    public var field: String? {
        switch change {
        case .set(let field, _, _), .add(let field, _), .remove(let field, _, _), .resolve(let field, _, _, _): field
        case .create, .delete, .finalize: nil
        }
    }

    public var kindName: String {
        switch change {
        case .create: "create"
        case .set: "set"
        case .add: "add"
        case .remove: "remove"
        case .delete: "delete"
        case .finalize: "finalize"
        case .resolve: "resolve"
        }
    }
}
