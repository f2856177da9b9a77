@testable import FieldApp
import Testing

/// The waits between passphrase tries, on a clock the test sets: no sleeping.
@Suite struct UnlockThrottleTests {
    let start = ContinuousClock.now

    @Test func theWaitDoublesFromASecondToHalfAMinute() {
        let delays = (0...8).map { UnlockThrottle.delay(afterFailures: $0) }
        #expect(delays == [.zero, .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)])
        #expect(UnlockThrottle.delay(afterFailures: 10_000) == .seconds(30))
        #expect(UnlockThrottle.delay(afterFailures: .max) == .seconds(30))
    }

    @Test func aWrongPassphraseHoldsBackTheNextTryUntilItsWaitIsOver() {
        var throttle = UnlockThrottle()
        #expect(throttle.begin(at: start) == .go)
        #expect(throttle.failed(at: start) == .seconds(1))
        #expect(throttle.begin(at: start) == .wait(.seconds(1)))
        #expect(throttle.begin(at: start + .milliseconds(400)) == .wait(.milliseconds(600)))
        #expect(throttle.begin(at: start + .seconds(1)) == .go)
        #expect(throttle.failed(at: start + .seconds(2)) == .seconds(2))
        #expect(throttle.begin(at: start + .seconds(3)) == .wait(.seconds(1)))
        #expect(throttle.begin(at: start + .seconds(4)) == .go)
        #expect(throttle.failed(at: start + .seconds(4)) == .seconds(4))
    }

    @Test func onlyOneTryAtATime() {
        var throttle = UnlockThrottle()
        #expect(throttle.begin(at: start) == .go)
        #expect(throttle.begin(at: start) == .busy)
        #expect(throttle.begin(at: start + .seconds(60)) == .busy)
        throttle.failed(at: start + .seconds(60))
        // The try is over, but its wait is not.
        #expect(throttle.begin(at: start + .seconds(60)) == .wait(.seconds(1)))
    }

    @Test func theRightPassphraseForgetsTheWrongOnes() {
        var throttle = UnlockThrottle()
        var now = start
        for _ in 0..<4 {
            #expect(throttle.begin(at: now) == .go)
            now += throttle.failed(at: now)
        }
        #expect(throttle.failures == 4)
        #expect(throttle.begin(at: now) == .go)
        throttle.succeeded()
        #expect(throttle.failures == 0)
        #expect(throttle.begin(at: now) == .go)
        #expect(throttle.failed(at: now) == .seconds(1))
    }

    /// Data that could not be read says nothing about the passphrase.
    @Test func aTryThatEndsWithoutAnAnswerDoesNotCount() {
        var throttle = UnlockThrottle()
        #expect(throttle.begin(at: start) == .go)
        throttle.abandoned()
        #expect(throttle.failures == 0 && throttle.begin(at: start) == .go)
    }

    @Test func waitsAreShownInWholeSecondsRoundedUp() {
        #expect(UnlockThrottle.seconds(.seconds(1)) == 1)
        #expect(UnlockThrottle.seconds(.milliseconds(1)) == 1)
        #expect(UnlockThrottle.seconds(.milliseconds(1_001)) == 2)
        #expect(UnlockThrottle.seconds(.seconds(30)) == 30)
    }
}
