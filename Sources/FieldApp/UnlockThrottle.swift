/// When the passphrase form may try a passphrase: one key derivation at a
/// time (each is about a second of CPU), and after a wrong passphrase a wait
/// before the next try, doubling from a second to at most half a minute and
/// forgotten on the right one. A program on the laptop that got hold of the
/// session cookie and the CSRF token can then neither burn the CPU nor guess
/// faster than a person could type.
///
/// A value with no clock of its own: the caller says what time it is.
struct UnlockThrottle: Sendable {
    typealias Instant = ContinuousClock.Instant

    static let firstDelay: Duration = .seconds(1)
    static let longestDelay: Duration = .seconds(30)

    enum Decision: Equatable, Sendable {
        /// Try it; the try is under way until `failed`, `succeeded` or `abandoned`.
        case go
        /// Another try is under way.
        case busy
        /// Too soon after a wrong passphrase: this long to go.
        case wait(Duration)
    }

    private(set) var failures = 0
    private(set) var notBefore: Instant?
    private(set) var isTrying = false

    /// Whether a try may start at `now`; `.go` counts it as under way.
    mutating func begin(at now: Instant) -> Decision {
        if isTrying { return .busy }
        if let notBefore, now < notBefore { return .wait(notBefore - now) }
        isTrying = true
        return .go
    }

    /// The passphrase was wrong; returns the wait before the next try.
    @discardableResult
    mutating func failed(at now: Instant) -> Duration {
        failures += 1
        let delay = Self.delay(afterFailures: failures)
        (isTrying, notBefore) = (false, now + delay)
        return delay
    }

    mutating func succeeded() {
        self = UnlockThrottle()
    }

    /// The try ended without saying whether the passphrase was right (the
    /// data could not be read): it does not count as a wrong one.
    mutating func abandoned() {
        isTrying = false
    }

    /// 1, 2, 4, 8, 16, then 30 seconds.
    static func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        // Capped before shifting: a long run of failures must not overflow.
        return min(firstDelay * (1 << min(failures - 1, 16)), longestDelay)
    }

    /// Whole seconds, rounded up, as the page says them.
    static func seconds(_ duration: Duration) -> Int {
        let (seconds, fraction) = duration.components
        return Int(seconds) + (fraction > 0 ? 1 : 0)
    }
}
