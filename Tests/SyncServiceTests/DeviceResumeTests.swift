import Foundation
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// `resume` at sign-in (Protocol.md §10.2): a server restored from a backup
/// taken before a laptop signed in takes that laptop's device back, and
/// nothing else.
@Suite struct DeviceResumeTests {
    static let password = ServerHarness.password

    @Test func aRestoredServerTakesBackTheDeviceItsTokenNames() async throws {
        let harness = try await ServerHarness.make()
        let database = harness.database
        let (device, token) = try #require(try await database.registerDevice(user: "anna", password: Self.password, deviceName: "ThinkPad"))
        // The restored database never saw the device: forget it.
        try await database.writer.write { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM device WHERE replica = ?", arguments: [device.replica.description])
        }
        #expect(try await database.authenticate(token: token) == .unknown)
        #expect(try await database.resumeRefusal(token, user: "anna") == nil)
        let (again, sameToken) = try #require(try await database.registerDevice(
            user: "anna", password: Self.password, deviceName: "ThinkPad", resume: token))
        #expect(again.replica == device.replica && sameToken == token)
        #expect(try await database.authenticate(token: token) == .valid(device))
        // A lost answer: asking again changes nothing.
        #expect(try await database.resumeRefusal(token, user: "anna") == nil)
        let repeated = try await database.registerDevice(user: "anna", password: Self.password, deviceName: "ThinkPad", resume: token)
        #expect(repeated?.device == device)
        let logins = try await database.auditEvents(.init(actor: "anna")).filter { $0.action == "login" }
        #expect(logins.filter { $0.detail.member("resumed") == .bool(true) }.count == 2)
    }

    @Test func onlyItsOwnUserWithALiveTokenOfThisServerResumesADevice() async throws {
        let harness = try await ServerHarness.make()
        let database = harness.database
        let (_, annaToken) = try #require(try await database.registerDevice(user: "anna", password: Self.password, deviceName: "a"))
        // Another user cannot take anna's device.
        #expect(try await database.resumeRefusal(annaToken, user: "bo") == .cannotResume)
        // A token with one character changed, or made up, is not this server's.
        var forged = Array(annaToken)
        forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
        #expect(try await database.resumeRefusal(String(forged), user: "anna") == .cannotResume)
        #expect(try await database.resumeRefusal(DeviceToken.generate(), user: "anna") == .cannotResume)
        // Another server's token (another key) is not this server's either.
        let other = try await ServerHarness.make()
        let (_, otherToken) = try #require(try await other.database.registerDevice(user: "anna", password: Self.password, deviceName: "a"))
        #expect(try await database.resumeRefusal(otherToken, user: "anna") == .cannotResume)
        // A device that signed out, or was revoked, stays so.
        let (signedOut, signedOutToken) = try #require(try await database.registerDevice(user: "anna", password: Self.password, deviceName: "b"))
        try await database.logout(signedOut)
        #expect(try await database.resumeRefusal(signedOutToken, user: "anna") == .cannotResume)
        let (revoked, revokedToken) = try #require(try await database.registerDevice(user: "anna", password: Self.password, deviceName: "c"))
        try await database.revokeDevice(revoked.replica.description)
        #expect(try await database.resumeRefusal(revokedToken, user: "anna") == .cannotResume)
    }

    @Test func theSignInRouteAnswersCannotResumeWithoutCheckingThePassword() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let signIn = DeviceSignIn(user: "anna", password: "not checked", deviceName: "x", resume: "cwt_nothing")
            let refused = try await client.call(.post, "/v1/devices", document: signIn.encoded())
            #expect(refused.status == .conflict && refused.problemCode == "cannot-resume", "\(refused.raw)")
            let events = try await harness.database.auditEvents(.init(actor: "anna"))
            #expect(!events.contains { $0.action == "login-failed" })
        }
    }
}
