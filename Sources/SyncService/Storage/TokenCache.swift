import Foundation
import Synchronization

/// Device tokens checked in the last second, so that a device syncing in a
/// busy loop does not cost a database read on every request.
///
/// A cached answer is at most `lifetime` old. Revocations, user removals and
/// logouts made by this process empty the cache at once; those made by the
/// administration commands (another process on the same data directory) wait
/// `lifetime` before they report success, so that once an administrator reads
/// "revoked", no server accepts the token any more. Only valid tokens are kept:
/// an unknown or purged one is looked up every time.
final class TokenCache: Sendable {
    static let lifetime: Duration = .seconds(1)
    /// A bound on memory; well above the devices of any municipality.
    static let capacity = 20_000

    private struct Entry {
        var device: AuthenticatedDevice
        var checkedAt: ContinuousClock.Instant
    }

    private let entries = Mutex<[Data: Entry]>([:])

    func device(for tokenHash: Data, now: ContinuousClock.Instant = .now) -> AuthenticatedDevice? {
        entries.withLock { entries in
            guard let entry = entries[tokenHash] else { return nil }
            guard now - entry.checkedAt < Self.lifetime else {
                entries.removeValue(forKey: tokenHash)
                return nil
            }
            return entry.device
        }
    }

    func remember(_ device: AuthenticatedDevice, for tokenHash: Data, now: ContinuousClock.Instant = .now) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[tokenHash] = Entry(device: device, checkedAt: now)
        }
    }

    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
