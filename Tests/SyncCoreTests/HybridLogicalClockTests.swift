import SyncCore
import Testing

@Suite struct HybridLogicalClockTests {
    let now: UInt64 = 1_795_424_400_000

    @Test func readingsStrictlyIncreaseEvenWhenTheWallClockStallsOrGoesBack() {
        var clock = HybridLogicalClock()
        var previous = clock.tick(physical: now)
        for physical in [now, now, now - 5_000, now + 1, now + 1] {
            let reading = clock.tick(physical: physical)
            #expect(reading > previous)
            previous = reading
        }
        #expect(previous.milliseconds == now + 1 && previous.counter == 1)
    }

    @Test func theCounterBorrowsTheNextMillisecondInsteadOfWrapping() {
        var clock = HybridLogicalClock(latest: HLCTimestamp(milliseconds: now, counter: HLCTimestamp.maximumCounter))
        let reading = clock.tick(physical: now)
        #expect(reading == HLCTimestamp(milliseconds: now + 1, counter: 0))
    }

    @Test func aRemoteReadingWithinTheDriftBoundIsAdopted() {
        var clock = HybridLogicalClock()
        let remote = HLCTimestamp(milliseconds: now + 60_000, counter: 4)
        #expect(clock.observe(remote, physical: now) == false)
        #expect(clock.tick(physical: now) == HLCTimestamp(milliseconds: now + 60_000, counter: 5))
    }

    @Test func aRemoteReadingADayAheadDoesNotDragTheClockWithIt() {
        var clock = HybridLogicalClock()
        let remote = HLCTimestamp(milliseconds: now + 86_400_000, counter: 0)
        #expect(clock.observe(remote, physical: now) == true)
        let reading = clock.tick(physical: now)
        #expect(reading.milliseconds <= now + HybridLogicalClock.defaultMaximumDrift + 1)
        #expect(reading.milliseconds >= now)
    }

    @Test func operationIDsRoundTripAndSortAsText() throws {
        let ids = (0..<50).map { index in
            OperationID(
                timestamp: HLCTimestamp(milliseconds: now + UInt64(index % 7), counter: UInt64(index % 3)),
                replica: ReplicaID(String(repeating: "\(index % 9 + 1)", count: 32))!)
        }
        for id in ids { #expect(OperationID(id.description) == id) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
        #expect(OperationID("not an id") == nil)
        #expect(OperationID("0000019AB0C5A000-" + String(repeating: "1", count: 32)) == nil, "upper case is refused")
    }
}
