/// A hybrid logical clock (Kulkarni et al., 2014), with a bound on how far a
/// remote reading may pull the local clock forward.
///
/// Readings are strictly increasing on one replica and stay close to physical
/// time. Causality between operations is *not* inferred from these readings (it
/// is recorded explicitly in each operation's predecessors); the clock only gives
/// every operation a unique place in one total order and a human-meaningful time.
///
/// A laptop whose clock is a day fast writes operations stamped a day ahead.
/// Without a bound, every replica that receives one would jump its own clock a
/// day ahead and stamp all its later work in the future: one bad clock would
/// poison ordering everywhere. So `observe` moves the local clock to a remote
/// reading only up to `physical + maximumDrift`; the operation itself is kept
/// with its own stamp, untouched.
public struct HybridLogicalClock: Sendable, Hashable {
    public private(set) var latest: HLCTimestamp
    public let maximumDrift: UInt64

    /// Ten minutes: far more than NTP-synchronised machines ever differ, far less
    /// than a mis-set time zone or a wrong date.
    public static let defaultMaximumDrift: UInt64 = 10 * 60 * 1000

    public init(latest: HLCTimestamp = HLCTimestamp(rawValue: 0), maximumDrift: UInt64 = Self.defaultMaximumDrift) {
        self.latest = latest
        self.maximumDrift = maximumDrift
    }

    /// The reading for a new local event.
    public mutating func tick(physical: UInt64) -> HLCTimestamp {
        latest = Self.successor(of: latest, atLeast: physical)
        return latest
    }

    /// Takes a remote reading into account. Returns whether the reading was
    /// further ahead of `physical` than the drift bound (it was then clamped).
    @discardableResult
    public mutating func observe(_ remote: HLCTimestamp, physical: UInt64) -> Bool {
        let ceiling = HLCTimestamp(
            milliseconds: min(physical &+ maximumDrift, HLCTimestamp.maximumMilliseconds),
            counter: HLCTimestamp.maximumCounter)
        let clamped = remote > ceiling
        let accepted = clamped ? ceiling : remote
        if accepted > latest { latest = accepted }
        return clamped
    }

    static func successor(of previous: HLCTimestamp, atLeast physical: UInt64) -> HLCTimestamp {
        let physical = min(physical, HLCTimestamp.maximumMilliseconds)
        if physical > previous.milliseconds {
            return HLCTimestamp(milliseconds: physical, counter: 0)
        }
        if previous.counter < HLCTimestamp.maximumCounter {
            return HLCTimestamp(rawValue: previous.rawValue + 1)
        }
        // 65,536 events within one millisecond: borrow the next millisecond rather
        // than wrap the counter, which would break monotonicity.
        return HLCTimestamp(milliseconds: previous.milliseconds + 1, counter: 0)
    }
}
