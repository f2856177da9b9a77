import Foundation

/// Bounds the request-body bytes the server reads and decodes at once.
///
/// A push is held three to five times over while it is read, parsed and
/// checked, so without a bound four parallel 16 MiB pushes took the server from
/// about 80 to almost 500 MiB, and more of them would take what memory there is.
/// Each body is charged its declared length; one that does not fit waits, in
/// order of arrival, until earlier bodies are done, or gives up after `maximumWait`.
public actor BodyBudget {
    /// 32 MiB: two full 16 MiB pushes decoded at once, any number of small ones.
    public static let defaultCapacity = 32 * 1024 * 1024
    public static let defaultMaximumWait: Duration = .seconds(20)

    public nonisolated let capacity: Int
    public nonisolated let maximumWait: Duration
    private var inUse = 0
    private var waiting: [Waiter] = []
    private var nextTicket = 0

    private struct Waiter {
        let ticket: Int
        let bytes: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    public init(capacity: Int = BodyBudget.defaultCapacity, maximumWait: Duration = BodyBudget.defaultMaximumWait) {
        self.capacity = max(1, capacity)
        self.maximumWait = maximumWait
    }

    /// The bytes charged now, for tests and metrics.
    public var bytesInUse: Int { inUse }

    /// Bodies waiting for room.
    public var waitingCount: Int { waiting.count }

    /// Charges `bytes` (at most the capacity: a body larger than the whole
    /// budget is read alone), waiting at most `maximumWait`. False if the
    /// budget stayed full; the caller then refuses the request.
    public func reserve(_ bytes: Int) async -> Bool {
        let charge = min(max(bytes, 0), capacity)
        if waiting.isEmpty, inUse + charge <= capacity {
            inUse += charge
            return true
        }
        guard maximumWait > .zero else { return false }
        let ticket = nextTicket
        nextTicket += 1
        let wait = maximumWait
        let timeout = Task { [weak self] in
            try await Task.sleep(for: wait)
            await self?.giveUp(ticket)
        }
        let admitted = await withCheckedContinuation { continuation in
            waiting.append(Waiter(ticket: ticket, bytes: charge, continuation: continuation))
        }
        timeout.cancel()
        return admitted
    }

    /// Returns what `reserve` charged, and admits waiting bodies that now fit.
    public func release(_ bytes: Int) {
        inUse -= min(max(bytes, 0), capacity)
        admitWaiting()
    }

    private func giveUp(_ ticket: Int) {
        guard let index = waiting.firstIndex(where: { $0.ticket == ticket }) else { return }
        waiting.remove(at: index).continuation.resume(returning: false)
        // The one that gave up may have been blocking smaller ones behind it.
        admitWaiting()
    }

    /// First come, first served: a large body at the head is not overtaken by
    /// smaller ones, so it cannot wait forever.
    private func admitWaiting() {
        while let first = waiting.first, inUse + first.bytes <= capacity {
            waiting.removeFirst()
            inUse += first.bytes
            first.continuation.resume(returning: true)
        }
    }
}
