/// Writes new operations on one replica for one user: stamps them with the
/// replica's clock and next sequence number, and fills in what each change
/// replaces from the entity state the user is looking at.
///
/// Pure: the wall clock is passed in, the entity states are passed in, and the
/// caller stores what it returns (and must persist `clock` and `nextSeq` with it).
public struct OperationAuthor: Sendable {
    public let replica: ReplicaID
    public let user: UserID
    public private(set) var clock: HybridLogicalClock
    public private(set) var nextSeq: UInt64
    private let wallClock: any WallClock

    public enum AuthoringError: Error, Hashable, Sendable, CustomStringConvertible {
        case finalized(EntityID)
        case notASetElement(EntityID, field: String)
        case emptyReason
        case nothingToResolve
        /// The replica's physical clock reads a time no operation may carry
        /// (before 2020 or from 2100 on, Protocol.md §3): the clock is broken,
        /// and whatever it stamped would be refused everywhere, this replica
        /// included.
        case wallClockOutOfRange(milliseconds: UInt64)

        public var description: String {
            switch self {
            case .finalized(let id):
                "\(id) is finalized and may not be changed; record a correction as an addendum instead"
            case .notASetElement(let id, let field): "\(id) has no such element in \(field)"
            case .emptyReason: "a resolution needs a reason"
            case .nothingToResolve: "the conflict has no values to resolve"
            case .wallClockOutOfRange(let milliseconds):
                "the clock reads \(milliseconds) ms since 1970, outside the range operations may carry (2020 to 2100)"
            }
        }
    }

    public init(
        replica: ReplicaID, user: UserID, wallClock: any WallClock,
        clock: HybridLogicalClock = HybridLogicalClock(), nextSeq: UInt64 = 1
    ) {
        self.replica = replica
        self.user = user
        self.wallClock = wallClock
        self.clock = clock
        self.nextSeq = nextSeq
    }

    /// An author that refuses to start on a broken clock: its physical clock
    /// must read a valid time now (Protocol.md §3), even where the hybrid
    /// clock's `latest` would stamp a valid one. A clock before 2020 or after
    /// 2100 is broken, not drifting, and whatever else it says (the next
    /// minute, tomorrow) cannot be trusted either; a new replica, whose
    /// `latest` is zero, would stamp that broken time itself. A `latest`
    /// beyond the range (left by an earlier version) is refused too: the next
    /// stamp would follow it.
    public static func checked(
        replica: ReplicaID, user: UserID, wallClock: any WallClock,
        clock: HybridLogicalClock = HybridLogicalClock(), nextSeq: UInt64 = 1
    ) throws(AuthoringError) -> OperationAuthor {
        let physical = wallClock.milliseconds()
        guard HLCTimestamp.validMilliseconds.contains(physical) else { throw .wallClockOutOfRange(milliseconds: physical) }
        guard clock.latest.milliseconds < HLCTimestamp.latestMilliseconds else {
            throw .wallClockOutOfRange(milliseconds: clock.latest.milliseconds)
        }
        return OperationAuthor(replica: replica, user: user, wallClock: wallClock, clock: clock, nextSeq: nextSeq)
    }

    /// Takes received operations into account, so that later local operations
    /// are stamped after them (within the drift bound).
    public mutating func observe(_ operations: some Sequence<Operation>) {
        let physical = wallClock.milliseconds()
        for operation in operations { clock.observe(operation.id.timestamp, physical: physical) }
    }

    private mutating func make(_ change: Operation.Change, entity: EntityID, caseID: EntityID) -> Operation {
        let id = OperationID(timestamp: clock.tick(physical: wallClock.milliseconds()), replica: replica)
        defer { nextSeq += 1 }
        return Operation(id: id, seq: nextSeq, author: user, caseID: caseID, entity: entity, change: change)
    }

    /// Creates an entity. A case belongs to itself: pass `caseID` nil.
    public mutating func create<R: RandomSource>(
        _ entityType: String, inCase caseID: EntityID?, using random: inout R
    ) -> Operation {
        let id = EntityID(using: &random)
        return make(.create(entityType: entityType), entity: id, caseID: caseID ?? id)
    }

    /// Sets a field. Replaces the visible value (and any concurrent value equal to
    /// it); concurrent values that differ stay in conflict until resolved.
    public mutating func set(_ field: String, to value: JSONValue, on entity: EntityState) throws(AuthoringError) -> Operation {
        guard !entity.isFinalized else { throw .finalized(entity.id) }
        let visible = entity.value(of: field)
        let replaced = entity.concurrentOperations(of: field).filter {
            EntityState.payloadValue(of: entity.operations[$0]) == visible
        }
        return make(.set(field: field, value: value, predecessors: replaced), entity: entity.id, caseID: entity.caseID)
    }

    public mutating func add(_ element: JSONValue, to field: String, on entity: EntityState) throws(AuthoringError) -> Operation {
        guard !entity.isFinalized else { throw .finalized(entity.id) }
        return make(.add(field: field, element: element), entity: entity.id, caseID: entity.caseID)
    }

    public mutating func remove(_ element: JSONValue, from field: String, on entity: EntityState) throws(AuthoringError) -> Operation {
        guard !entity.isFinalized else { throw .finalized(entity.id) }
        let tags = entity.liveTags(of: element, in: field)
        guard !tags.isEmpty else { throw .notASetElement(entity.id, field: field) }
        return make(.remove(field: field, element: element, predecessors: tags), entity: entity.id, caseID: entity.caseID)
    }

    public mutating func delete(_ entity: EntityState) -> Operation {
        make(.delete, entity: entity.id, caseID: entity.caseID)
    }

    /// Finalizes the entity as this replica sees it now.
    public mutating func finalize(_ entity: EntityState) throws(AuthoringError) -> Operation {
        guard !entity.isFinalized else { throw .finalized(entity.id) }
        return make(.finalize(context: entity.finalizationContext()), entity: entity.id, caseID: entity.caseID)
    }

    /// A dated, signed correction to a finalized entity: kept beside the record,
    /// never merged into it (Protocol.md, "Finalized notes").
    public mutating func addendum(_ field: String, value: JSONValue, on entity: EntityState) -> Operation {
        make(
            .set(field: field, value: value, predecessors: entity.concurrentOperations(of: field)),
            entity: entity.id, caseID: entity.caseID)
    }

    /// Settles a conflict with `value` (one of the conflict's values, or a merged one).
    public mutating func resolve(
        _ conflict: ConflictRecord, with value: JSONValue, reason: String
    ) throws(AuthoringError) -> Operation {
        guard !BlankText.isBlank(reason) else { throw .emptyReason }
        guard !conflict.values.isEmpty else { throw .nothingToResolve }
        return make(
            .resolve(field: conflict.field, value: value, supersedes: conflict.values.map(\.operation), reason: reason),
            entity: conflict.entity, caseID: conflict.caseID)
    }
}
