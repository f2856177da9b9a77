import FieldKit
import Foundation
import SyncCore
import SyncTestSupport
import Testing

/// The real `field` under a fake clock (libfaketime, which
/// `scripts/ensure-dependencies` installs) against the real `sync-server`:
/// a laptop whose clock says 2107 or 2019 writes nothing and says why, and
/// one two days fast is re-dated at its sync and reaches a colleague.
@Suite(.serialized) struct WrongClockProcessTests {
    static let faketime = "/usr/bin/faketime"

    /// `field` as the laptop runs it, its clock set by `time` (a date, or
    /// `+2d`, which goes through -f, libfaketime's own format); the monotonic
    /// clock stays true, for the network's timeouts.
    static func field(_ arguments: [String], home: String, time: String, input: String? = nil) async throws -> FieldCommandLineTests.Run {
        try await FieldCommandJourneyTests.field(
            arguments, home: home, input: input, environment: ["FAKETIME_DONT_FAKE_MONOTONIC": "1"],
            launcher: [faketime] + (time.hasPrefix("+") ? ["-f", time] : [time]))
    }

    @Test func aLaptopWithAWrongClockWritesNothingAndOneTwoDaysFastIsRedatedAtSync() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.faketime), "scripts/ensure-dependencies installs faketime")
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        let server = try ServerProcess()
        try ServerRestoreTests.addUsers(server)
        try server.start()
        let address = "http://127.0.0.1:\(server.port)"
        let (anna, dorte) = (FieldCommandJourneyTests.newHome("anna"), FieldCommandJourneyTests.newHome("dorte"))
        try await FieldCommandJourneyTests.login("anna", server: address, home: anna)
        let caseID = try await FieldCommandJourneyTests.succeed(["case", "new", "Familien Holm"], home: anna)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try await FieldCommandJourneyTests.succeed(["sync"], home: anna)

        // A flat CMOS battery, and a clock a century ahead: nothing is written.
        for (time, says) in [("2019-06-01 08:00:00", "2019-06-01"), ("2107-03-01 08:00:00", "2107-03-01")] {
            let refused = try await Self.field(["note", "add", caseID, "--kind", "phone", "--title", "Opringning"],
                                               home: anna, time: time, input: "Mor ringede.")
            #expect(refused.status != 0)
            #expect(refused.error.contains("clock is wrong") && refused.error.contains(says), "\(refused.error)")
            #expect(refused.error.split(separator: "\n").count == 1, "\(refused.error)")
            // Sync stamps nothing: it works on a wrong clock.
            let synced = try await Self.field(["sync"], home: anna, time: time)
            #expect(synced.status == 0, "\(synced.error)")
        }
        let notes = try FieldCommandJourneyTests.json(try await FieldCommandJourneyTests.succeed(["note", "list", caseID, "--json"], home: anna))
        #expect(notes.arrayValue.isEmpty)

        // Two days fast: written, then re-dated to the server's time at sync.
        let fast = try await Self.field(["note", "add", caseID, "--kind", "home-visit", "--title", "Hjemmebesøg"],
                                        home: anna, time: "+2d", input: "Mor og Emil hjemme.")
        #expect(fast.status == 0, "\(fast.error)")
        let synced = try await Self.field(["sync"], home: anna, time: "+2d")
        #expect(synced.status == 0, "\(synced.error)")
        #expect((synced.output + synced.error).contains("re-dated"), "\(synced.output) \(synced.error)")
        // The supervisor's laptop, at the true time, receives it.
        try await FieldCommandJourneyTests.login("dorte", server: address, home: dorte)
        _ = try await FieldCommandJourneyTests.succeed(["sync"], home: dorte)
        let received = try FieldCommandJourneyTests.json(try await FieldCommandJourneyTests.succeed(["note", "list", caseID, "--json"], home: dorte))
        #expect(received.arrayValue.compactMap { $0.member("title")?.stringValue } == ["Hjemmebesøg"])
        _ = server.terminate()
    }
}
