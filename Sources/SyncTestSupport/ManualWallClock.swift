import Synchronization
import SyncCore

/// A wall clock that moves only when told to: simulations decide what time it is.
public final class ManualWallClock: WallClock {
    private let now: Mutex<UInt64>

    /// 2026-11-23T09:00:00Z, a Monday morning.
    public static let monday: UInt64 = 1_795_424_400_000

    public init(milliseconds: UInt64 = ManualWallClock.monday) {
        now = Mutex(milliseconds)
    }

    public func milliseconds() -> UInt64 { now.withLock { $0 } }

    public func advance(by milliseconds: UInt64) { now.withLock { $0 += milliseconds } }

    public func set(_ milliseconds: UInt64) { now.withLock { $0 = milliseconds } }
}
