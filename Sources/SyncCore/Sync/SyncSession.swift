/// A run of one author replica's sequence numbers.
public struct SequenceRange: Hashable, Sendable, CustomStringConvertible {
    public let replica: ReplicaID
    public let seqs: ClosedRange<UInt64>

    public init(replica: ReplicaID, seqs: ClosedRange<UInt64>) {
        self.replica = replica
        self.seqs = seqs
    }

    public var count: Int { Int(seqs.upperBound - seqs.lowerBound + 1) }
    public var description: String { "\(replica)[\(seqs.lowerBound)...\(seqs.upperBound)]" }
}

/// The pure state machine of one sync from a sender to a receiver.
///
/// From what each side holds (`ReplicaKnowledge`) it computes exactly the
/// operations the receiver lacks and hands them out in batches of at most
/// `batchLimit` operations, each author replica's operations in sequence order.
/// It does no I/O: the caller fetches each batch from the sender's store,
/// delivers it, and reports the outcome.
///
/// A batch is acknowledged only once the receiver has stored it (atomically).
/// If the connection drops, the caller starts a new session from both sides'
/// current knowledge: batches the receiver stored are not sent again, and
/// nothing it lacks is skipped.
public struct SyncSession: Sendable {
    public enum State: Hashable, Sendable {
        /// The next batch can be requested.
        case ready
        /// A batch is out; waiting for `acknowledge` or `batchFailed`.
        case awaiting([SequenceRange])
        /// The receiver holds everything the sender held at the start.
        case finished
    }

    public private(set) var state: State
    public let batchLimit: Int
    private var remaining: [SequenceRange]
    public private(set) var deliveredCount = 0
    public let totalCount: Int

    public init(sender: ReplicaKnowledge, receiver: ReplicaKnowledge, batchLimit: Int) {
        precondition(batchLimit > 0, "a batch must hold at least one operation")
        self.batchLimit = batchLimit
        remaining = Self.missing(sender: sender, receiver: receiver)
        totalCount = remaining.reduce(0) { $0 + $1.count }
        state = remaining.isEmpty ? .finished : .ready
    }

    /// Exactly what `receiver` lacks of what `sender` holds, as ranges sorted by
    /// replica and sequence number.
    public static func missing(sender: ReplicaKnowledge, receiver: ReplicaKnowledge) -> [SequenceRange] {
        var ranges: [SequenceRange] = []
        for replica in sender.replicas.sorted() {
            let top = sender.contiguous[replica, default: 0]
            let start = receiver.contiguous[replica, default: 0] + 1
            let receiverExtra = receiver.extra[replica] ?? []
            let senderExtra = (sender.extra[replica] ?? []).filter { $0 > top && $0 >= start }.sorted()
            if receiverExtra.isEmpty && senderExtra.isEmpty {
                if start <= top { ranges.append(SequenceRange(replica: replica, seqs: start...top)) }
                continue
            }
            var run: ClosedRange<UInt64>?
            func flush() {
                if let seqs = run { ranges.append(SequenceRange(replica: replica, seqs: seqs)) }
                run = nil
            }
            func consider(_ seq: UInt64) {
                if receiverExtra.contains(seq) {
                    flush()
                } else if let current = run, current.upperBound + 1 == seq {
                    run = current.lowerBound...seq
                } else {
                    flush()
                    run = seq...seq
                }
            }
            if start <= top { for seq in start...top { consider(seq) } }
            for seq in senderExtra { consider(seq) }
            flush()
        }
        return ranges
    }

    /// The next batch to fetch and deliver, or nil when finished. While a batch
    /// is out and unacknowledged, returns that same batch again (a retry).
    public mutating func nextBatch() -> [SequenceRange]? {
        switch state {
        case .finished: return nil
        case .awaiting(let batch): return batch
        case .ready:
            var batch: [SequenceRange] = []
            var room = batchLimit
            for range in remaining {
                guard room > 0 else { break }
                let take = min(room, range.count)
                batch.append(SequenceRange(
                    replica: range.replica, seqs: range.seqs.lowerBound...(range.seqs.lowerBound + UInt64(take) - 1)))
                room -= take
            }
            state = .awaiting(batch)
            return batch
        }
    }

    /// The receiver stored the outstanding batch.
    public mutating func acknowledge() {
        guard case .awaiting(let batch) = state else { return }
        var delivered = batch.reduce(0) { $0 + $1.count }
        deliveredCount += delivered
        while delivered > 0, let first = remaining.first {
            if first.count <= delivered {
                delivered -= first.count
                remaining.removeFirst()
            } else {
                remaining[0] = SequenceRange(
                    replica: first.replica, seqs: (first.seqs.lowerBound + UInt64(delivered))...first.seqs.upperBound)
                delivered = 0
            }
        }
        state = remaining.isEmpty ? .finished : .ready
    }

    /// The outstanding batch was not stored (or it is unknown whether it was):
    /// it will be handed out again. Delivering it twice is harmless, because
    /// applying a batch is idempotent.
    public mutating func batchFailed() {
        guard case .awaiting = state else { return }
        state = .ready
    }
}
