import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// The limiter alone, on a manual clock: no test here sleeps.
@Suite struct SignInLimiterTests {
    let clock = ManualWallClock()

    func limiter(_ change: (inout SignInLimits) -> Void = { _ in }) -> SignInLimiter {
        var limits = SignInLimits.standard
        change(&limits)
        return SignInLimiter(limits: limits, clock: clock)
    }

    /// Admits and finishes one attempt; returns the refusal's wait if refused.
    @discardableResult
    func attempt(_ limiter: SignInLimiter, user: String = "anna", address: String = "10.0.0.1", _ outcome: SignInLimiter.Outcome) -> Int? {
        switch limiter.admit(user: user, address: address) {
        case .admitted(let ticket):
            limiter.finish(ticket, outcome)
            return nil
        case .refused(let seconds, _, _):
            return seconds
        }
    }

    @Test func aUserNameIsSlowedAfterFiveFailuresDoublingToTheCapAndASuccessResetsIt() {
        let limiter = limiter()
        for _ in 0..<5 { #expect(attempt(limiter, .failed) == nil, "five mistakes cost nothing") }
        #expect(attempt(limiter, .succeeded) == 1, "the sixth attempt waits 1 s, even with the right password")
        clock.advance(by: 1_000)
        #expect(attempt(limiter, .failed) == nil)
        #expect(attempt(limiter, .failed) == 2, "the wait doubles")
        var expected: Int64 = 2_000
        for _ in 0..<12 {
            clock.advance(by: UInt64(expected))
            #expect(attempt(limiter, .failed) == nil)
            expected = min(expected * 2, 300_000)
            #expect(attempt(limiter, .failed) == Int(expected / 1000))
        }
        #expect(expected == 300_000, "the wait stops growing at five minutes")
        clock.advance(by: 300_000)
        #expect(attempt(limiter, .succeeded) == nil)
        for _ in 0..<5 { #expect(attempt(limiter, .failed) == nil, "a success starts the count afresh") }
    }

    @Test func anotherUserNameIsNotSlowedByTheFirstsFailures() {
        let limiter = limiter()
        for _ in 0..<5 { attempt(limiter, .failed) }
        #expect(attempt(limiter, .failed) != nil)
        #expect(attempt(limiter, user: "bo", .succeeded) == nil)
    }

    /// Someone failing on purpose under a colleague's name, one attempt each
    /// time the wait ends, slows down their own address only: the colleague
    /// signs in from hers at once (the name was kept refused for good before).
    @Test func guessingAColleaguesNameFromElsewhereDoesNotLockHerOut() {
        let limiter = limiter()
        var failures = 0
        while failures < 40 {
            if let wait = attempt(limiter, address: "10.6.6.6", .failed) {
                clock.advance(by: UInt64(wait) * 1_000)
            } else {
                failures += 1
            }
        }
        #expect(attempt(limiter, address: "10.6.6.6", .failed) != nil, "the guesser is slowed down")
        #expect(attempt(limiter, address: "10.1.2.3", .succeeded) == nil, "anna, from her own address, is not")
    }

    /// Many sources guessing one name add up: past `failuresPerUserEverywhere`
    /// within an hour the name waits from everywhere.
    @Test func oneNameGuessedFromManyAddressesIsSlowedEverywhere() {
        let limiter = limiter { $0.failuresPerUserEverywhere = 30 }
        for index in 0..<30 { #expect(attempt(limiter, address: "10.0.\(index / 5).\(index % 5)", .failed) == nil) }
        #expect(attempt(limiter, address: "10.9.9.9", .succeeded) != nil)
        clock.advance(by: 60 * 60_000)
        #expect(attempt(limiter, address: "10.9.9.9", .succeeded) == nil)
    }

    /// Refusals of a name slowed everywhere are audited once a minute, from
    /// however many sources they come (else each clean source wrote one).
    @Test func refusalsOfANameSlowedEverywhereAreAuditedOnceAMinute() {
        let limiter = limiter { $0.failuresPerUserEverywhere = 30 }
        for index in 0..<30 { attempt(limiter, address: "10.0.\(index / 5).\(index % 5)", .failed) }
        var audited = 0
        for index in 0..<20 {
            if case .refused(_, _, let audit) = limiter.admit(user: "anna", address: "10.7.0.\(index)"), audit { audited += 1 }
        }
        #expect(audited == 1)
    }

    /// An IPv6 subscriber holds a whole /64: it is one source, and an
    /// IPv4-mapped address is its IPv4 address.
    @Test func anIPv6SourceIsItsSlash64() {
        #expect(SignInGuard.sourceKey("2001:db8:1:2::1") == SignInGuard.sourceKey("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        #expect(SignInGuard.sourceKey("2001:db8:1:2::1") != SignInGuard.sourceKey("2001:db8:1:3::1"))
        #expect(SignInGuard.sourceKey("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(SignInGuard.sourceKey("192.0.2.7") == "192.0.2.7")
        #expect(SignInGuard.sourceKey("unknown") == "unknown")
    }

    @Test func failuresAreForgottenAfterAnHourWithoutAnother() {
        let limiter = limiter()
        for _ in 0..<5 { attempt(limiter, .failed) }
        clock.advance(by: 60 * 60_000)
        for _ in 0..<5 { #expect(attempt(limiter, .failed) == nil) }
        #expect(attempt(limiter, .failed) == 1)
    }

    @Test func attemptsInFlightCountSoParallelGuessesAreNotAllChecked() {
        let limiter = limiter()
        for _ in 0..<4 { attempt(limiter, .failed) }
        var admitted: [SignInLimiter.Ticket] = []
        var refused = 0
        for _ in 0..<16 {
            switch limiter.admit(user: "anna", address: "10.0.0.1") {
            case .admitted(let ticket): admitted.append(ticket)
            case .refused: refused += 1
            }
        }
        #expect(admitted.count == 1 && refused == 15, "one guess left before the wait: only one of sixteen is checked")
        for ticket in admitted { limiter.finish(ticket, .failed) }
    }

    @Test func anAbandonedAttemptCountsNeitherWay() {
        let limiter = limiter()
        for _ in 0..<4 { attempt(limiter, .failed) }
        attempt(limiter, .abandoned)
        #expect(attempt(limiter, .failed) == nil, "the busy server's refusal was not a failure")
        #expect(attempt(limiter, .failed) == 1)
    }

    @Test func oneAddressMayFailTwentyTimesInTenMinutesUnderAnyNames() {
        let limiter = limiter()
        for index in 0..<20 {
            #expect(attempt(limiter, user: "guess\(index)", .failed) == nil)
            clock.advance(by: 10_000)
        }
        // The oldest failure was 200 s ago; it leaves the window in 400 s.
        let refusal = limiter.admit(user: "guess20", address: "10.0.0.1").refusal
        #expect(refusal?.0 == 400 && refusal?.1 == .address)
        #expect(attempt(limiter, user: "guess20", address: "10.0.0.2", .failed) == nil, "another address is not limited")
        clock.advance(by: 400_000)
        #expect(attempt(limiter, user: "guess21", .failed) == nil, "the oldest failure left the window")
        #expect(attempt(limiter, user: "guess22", .failed) == 10)
    }

    @Test func manyPeopleSigningInAtOnceFromOneAddressAreNotLimited() {
        let limiter = limiter()
        var tickets: [SignInLimiter.Ticket] = []
        for index in 0..<64 {
            guard case .admitted(let ticket) = limiter.admit(user: "user\(index)", address: "10.0.0.9") else {
                Issue.record("sign-in \(index) from the office's proxy was refused")
                return
            }
            tickets.append(ticket)
        }
        for ticket in tickets { limiter.finish(ticket, .succeeded) }
        #expect(limiter.trackedCounts == (0, 0), "successes leave nothing behind")
    }

    @Test func noAddressLimitWhenItIsZero() {
        let limiter = limiter { $0.failuresPerAddress = 0 }
        for index in 0..<100 { #expect(attempt(limiter, user: "guess\(index)", .failed) == nil) }
    }

    @Test func aFloodOfRefusalsIsAuditedOnceAMinutePerNameAndAddress() {
        let limiter = limiter()
        for _ in 0..<5 { attempt(limiter, .failed) }
        #expect(limiter.admit(user: "anna", address: "10.0.0.1").audited == true)
        for _ in 0..<100 { #expect(limiter.admit(user: "anna", address: "10.0.0.1").audited == false) }
        clock.advance(by: 60_000)
        for _ in 0..<5 {
            clock.advance(by: 300_000)
            attempt(limiter, .failed)
        }
        #expect(limiter.admit(user: "anna", address: "10.0.0.1").audited == true, "a minute later, once more")
    }

    @Test func guessesUnderEverNewNamesDoNotGrowMemoryWithoutBound() {
        let limiter = limiter { $0.failuresPerAddress = 0 }
        for index in 0..<(SignInLimiter.maximumTracked + 500) {
            attempt(limiter, user: "name\(index)", address: "10.\(index / 65536).\(index / 256 % 256).\(index % 256)", .failed)
        }
        let (users, addresses) = limiter.trackedCounts
        #expect(users <= SignInLimiter.maximumTracked && addresses <= SignInLimiter.maximumTracked)
        #expect(limiter.delay(afterFailures: 1_000) == 300_000, "no overflow far past the cap")
    }
}

extension SignInLimiter.Admission {
    var refusal: (Int, SignInLimiter.Limit)? {
        if case .refused(let seconds, let limit, _) = self { (seconds, limit) } else { nil }
    }

    var audited: Bool? {
        if case .refused(_, _, let audit) = self { audit } else { nil }
    }
}
