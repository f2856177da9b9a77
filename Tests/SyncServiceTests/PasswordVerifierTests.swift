import Foundation
import HummingbirdBcrypt
@testable import SyncService
import Testing

@Suite struct PasswordVerifierTests {
    @Test func itChecksPasswordsAndAnUnusableHashMatchesNothing() async throws {
        let verifier = PasswordVerifier(threads: 1, maximumWaiting: 4)
        let hash = Bcrypt.hash("correct horse battery", cost: 4)
        #expect(try await verifier.verify("correct horse battery", hash: hash))
        #expect(try await !verifier.verify("wrong horse battery", hash: hash))
        #expect(try await !verifier.verify("correct horse battery", hash: "$2b$03$" + String(hash.dropFirst(7))), "a cost bcrypt does not support")
        #expect(try await !verifier.verify("correct horse battery", hash: "not a hash"))
        try await verifier.shutdown()
    }

    /// With its thread busy and its queue full, a further check is refused at
    /// once instead of waiting behind them; once they finish it is taken again.
    @Test func checksBeyondTheThreadsAndTheQueueAreRefusedNotQueued() async throws {
        let verifier = PasswordVerifier(threads: 1, maximumWaiting: 1)
        let release = DispatchSemaphore(value: 0)
        let running = Task { try await verifier.run { release.wait() } }
        let waiting = Task { try await verifier.run { release.wait() } }
        while verifier.inFlight < 2 { await Task.yield() }
        await #expect(throws: SignInRefusal.busy) { try await verifier.run { 1 } }
        release.signal()
        release.signal()
        try await running.value
        try await waiting.value
        #expect(verifier.inFlight == 0)
        #expect(try await verifier.run { 2 } == 2)
        try await verifier.shutdown()
    }

    /// Checks block threads of the verifier's own, never the cooperative pool
    /// (as wide as the machine has cores) that serves every other request:
    /// with more checks blocked than the pool has threads, other work still
    /// runs. Were they on the pool, this would hang, and the time limit fail it.
    @Test(.timeLimit(.minutes(1)))
    func blockedChecksLeaveTheCooperativePoolFree() async throws {
        let blocked = ProcessInfo.processInfo.activeProcessorCount + 2
        let verifier = PasswordVerifier(threads: blocked, maximumWaiting: 0)
        let release = DispatchSemaphore(value: 0)
        let checks = (0..<blocked).map { _ in Task { try await verifier.run { release.wait() } } }
        while verifier.inFlight < blocked { await Task.yield() }
        let others = await withTaskGroup(of: Int.self) { group in
            for index in 0..<100 { group.addTask { index } }
            return await group.reduce(0, +)
        }
        #expect(others == 4_950)
        for _ in 0..<blocked { release.signal() }
        for check in checks { try await check.value }
        try await verifier.shutdown()
    }
}
