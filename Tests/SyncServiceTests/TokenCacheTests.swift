import Foundation
@testable import SyncService
import SyncCore
import Testing

@Suite struct TokenCacheTests {
    static let device = AuthenticatedDevice(
        replica: ReplicaID("0123456789abcdef0123456789abcdef")!, user: UserID("anna")!, role: .caseworker)

    @Test func aCheckedTokenIsKeptForLessThanItsLifetimeOnly() {
        let cache = TokenCache()
        let hash = Data([1, 2, 3])
        let start = ContinuousClock.now
        cache.remember(Self.device, for: hash, now: start)
        #expect(cache.device(for: hash, now: start + .milliseconds(999)) == Self.device)
        #expect(cache.device(for: hash, now: start + TokenCache.lifetime) == nil, "expired at its lifetime")
        #expect(cache.device(for: hash, now: start) == nil, "an expired entry is dropped, not revived")
        #expect(cache.device(for: Data([9]), now: start) == nil)
    }

    @Test func revokingLoggingOutAndRemovingEmptyTheCacheAtOnce() async throws {
        let database = try ServerDatabase.inMemory()
        try await database.addUser("anna", role: .caseworker, password: "correct horse battery", bcryptCost: 4)
        for change in ["revoke", "logout", "remove"] {
            if change == "remove" { try await database.addUser("anna2", role: .caseworker, password: "correct horse battery", bcryptCost: 4) }
            let user = change == "remove" ? "anna2" : "anna"
            let (device, token) = try #require(try await database.registerDevice(user: user, password: "correct horse battery", deviceName: change))
            #expect(try await database.authenticate(token: token) == .valid(device))
            switch change {
            case "revoke": try await database.revokeDevice(device.replica.description)
            case "logout": try await database.logout(device)
            default: try await database.removeUser(user)
            }
            #expect(try await database.authenticate(token: token) != .valid(device), "\(change) takes effect at once")
        }
    }
}
