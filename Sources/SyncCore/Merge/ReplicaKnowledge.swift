/// What a replica holds, summarised per author replica: every sequence number up
/// to `contiguous[r]`, plus the few above it that arrived early (`extra`).
/// Exact, so that sync can compute exactly what the other side lacks.
public struct ReplicaKnowledge: Hashable, Sendable {
    public var contiguous: [ReplicaID: UInt64]
    public var extra: [ReplicaID: Set<UInt64>]

    public init(contiguous: [ReplicaID: UInt64] = [:], extra: [ReplicaID: Set<UInt64>] = [:]) {
        self.contiguous = contiguous
        self.extra = extra.filter { !$0.value.isEmpty }
    }

    public func contains(replica: ReplicaID, seq: UInt64) -> Bool {
        seq <= contiguous[replica, default: 0] || extra[replica]?.contains(seq) == true
    }

    /// The highest sequence number held for the replica.
    public func highest(of replica: ReplicaID) -> UInt64 {
        max(contiguous[replica, default: 0], extra[replica]?.max() ?? 0)
    }

    public var replicas: Set<ReplicaID> { Set(contiguous.keys).union(extra.keys) }

    public mutating func insert(replica: ReplicaID, seq: UInt64) {
        var top = contiguous[replica, default: 0]
        guard seq > top else { return }
        if seq == top + 1 {
            top = seq
            var pending = extra[replica] ?? []
            while pending.remove(top + 1) != nil { top += 1 }
            extra[replica] = pending.isEmpty ? nil : pending
            contiguous[replica] = top
        } else {
            extra[replica, default: []].insert(seq)
        }
    }
}
