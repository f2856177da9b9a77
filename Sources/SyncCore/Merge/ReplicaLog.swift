/// Index of one author replica's operations by sequence number: which operation
/// holds each number (to refuse two operations claiming one number) and which
/// entity it belongs to (to find it again for sync).
struct ReplicaLog: Sendable {
    struct Entry: Hashable, Sendable {
        let id: OperationID
        let entity: EntityID
    }

    /// Entries for sequence numbers 1...count, in order.
    private(set) var contiguous: [Entry] = []
    /// Entries that arrived before a gap below them was filled.
    private(set) var early: [UInt64: Entry] = [:]

    func entry(at seq: UInt64) -> Entry? {
        if seq >= 1 && seq <= UInt64(contiguous.count) { return contiguous[Int(seq - 1)] }
        return early[seq]
    }

    mutating func record(_ entry: Entry, at seq: UInt64) {
        if seq == UInt64(contiguous.count) + 1 {
            contiguous.append(entry)
            while !early.isEmpty, let next = early.removeValue(forKey: UInt64(contiguous.count) + 1) {
                contiguous.append(next)
            }
        } else {
            early[seq] = entry
        }
    }

    var contiguousCount: UInt64 { UInt64(contiguous.count) }
    var earlySequenceNumbers: Set<UInt64> { Set(early.keys) }
}
