@testable import FieldKit
import Foundation
import Synchronization
import Testing

/// A sync tries again after the network failed or the server said it is
/// busy (503 server-busy, its body budget full); any other refusal is final.
@Suite struct SyncRetryTests {
    @Test func aBusyServerIsAskedAgainAndARefusalIsNot() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            var engine = SyncEngine(replica: anna.replica, connection: anna.connection)
            engine.retryDelays = [.milliseconds(1)]
            engine.busyRetryDelays = [.milliseconds(1), .milliseconds(1)]
            let attempts = Mutex(0)
            let answer = try await engine.retrying { () -> Int in
                let attempt = attempts.withLock { $0 += 1; return $0 }
                if attempt < 3 { throw FieldError.serverRefused(status: 503, code: "server-busy", detail: "the server is busy") }
                return attempt
            }
            #expect(answer == 3)
            attempts.withLock { $0 = 0 }
            await #expect(throws: FieldError.self) {
                _ = try await engine.retrying { () -> Int in
                    attempts.withLock { $0 += 1 }
                    throw FieldError.serverRefused(status: 403, code: "not-a-member", detail: "no")
                }
            }
            #expect(attempts.withLock { $0 } == 1, "a refusal was sent again")
            // A full disk on the server takes an operator, not seconds: no waiting.
            attempts.withLock { $0 = 0 }
            await #expect(throws: FieldError.serverStorageFull) {
                _ = try await engine.retrying { () -> Int in
                    attempts.withLock { $0 += 1 }
                    throw FieldError.serverStorageFull
                }
            }
            #expect(attempts.withLock { $0 } == 1, "a full disk was asked again")
        }
    }
}
