import Foundation
import HummingbirdTesting
import SyncCore
@testable import SyncService
import SyncTestSupport
import Testing

/// Protocol.md §3, §10.3: a new operation may be dated at most 24 hours after
/// the server's clock; beyond that the push is refused with `409
/// clock-ahead`, naming every such operation, so that the device re-dates them.
@Suite struct ClockAheadTests {
    static let hour: UInt64 = 60 * 60 * 1000

    static func harness(clock: ManualWallClock) async throws -> ServerHarness {
        let database = try ServerDatabase.inMemory(clock: clock)
        for (name, role) in [("anna", UserRole.caseworker), ("bo", .caseworker)] {
            try await database.addUser(name, role: role, password: ServerHarness.password, bcryptCost: 4)
        }
        return ServerHarness(database: database)
    }

    static func dating(_ laptop: inout Laptop, at milliseconds: UInt64) {
        laptop.author = OperationAuthor(replica: laptop.author.replica, user: laptop.user, wallClock: ManualWallClock(milliseconds: milliseconds))
    }

    @Test func anOperationTwoDaysAheadIsRefusedAndOneAnHourAheadIsStored() async throws {
        let serverClock = ManualWallClock()
        let server = try await Self.harness(clock: serverClock)
        try await server.test { client in
            var anna = try await client.login("anna")
            Self.dating(&anna, at: ManualWallClock.monday + 48 * Self.hour)
            let operations = try anna.newCase(title: "Familien Holm")
            let refused = try await anna.push(operations, via: client)
            #expect(refused.status == .conflict)
            #expect(refused.problemCode == "clock-ahead")
            let problem = try #require(refused.problem)
            #expect(problem.path == "operations[0].id")
            #expect(problem.serverTime == Int64(ManualWallClock.monday))
            #expect(problem.extensions["ahead"] == .integer(Int64(48 * Self.hour)))
            #expect(problem.operations == operations.map(\.id))
            let detail = problem.detail
            #expect(detail.contains("ahead of the server's by 48 h 0 min"), "\(detail)")
            #expect(try await server.database.operationCount() == 0, "nothing of the batch is stored")

            var bo = try await client.login("bo")
            Self.dating(&bo, at: ManualWallClock.monday + Self.hour)
            #expect(try await bo.push(try bo.newCase(title: "Familien Berg"), via: client).status == .ok)
        }
    }

    @Test func operationsTheServerHoldsAreNotJudgedAgain() async throws {
        let serverClock = ManualWallClock()
        let server = try await Self.harness(clock: serverClock)
        try await server.test { client in
            var anna = try await client.login("anna")
            Self.dating(&anna, at: ManualWallClock.monday + 23 * Self.hour)
            let operations = try anna.newCase(title: "Familien Holm")
            #expect(try await anna.push(operations, batch: "first", via: client).status == .ok)
            // The server's clock is set back two hours (restored from a
            // snapshot, say): a retry under another batch id is still stored,
            // a new operation dated an hour later still is not (past 24 hours
            // ahead, and past what the server holds of the device).
            serverClock.set(ManualWallClock.monday - 2 * Self.hour)
            #expect(try await anna.push(operations, batch: "again", via: client).status == .ok)
            anna.author = OperationAuthor(replica: anna.author.replica, user: anna.user,
                                          wallClock: ManualWallClock(milliseconds: ManualWallClock.monday + 24 * Self.hour),
                                          clock: anna.author.clock, nextSeq: anna.author.nextSeq)
            let later = try anna.write { a, s, _ in try a.set(Case.Field.title, to: "Familien Holm-Berg", on: s.entity(operations[0].entity)!) }
            let refused = try await anna.push(operations + [later], batch: "third", via: client)
            #expect(refused.problemCode == "clock-ahead")
            #expect(refused.problem?.operations == [later.id])
            #expect(refused.problem?.path == "operations[\(operations.count)].id")
        }
    }

    /// A device whose clock was fast before this rule had operations stored
    /// two days ahead; its own later ones are stamped after them (a laptop
    /// re-dating keeps above its own), so they pass within the drift, and no
    /// further.
    @Test func aDeviceMayStampJustPastWhatTheServerHoldsOfItButNoFurther() async throws {
        let serverClock = ManualWallClock()
        let server = try await Self.harness(clock: serverClock)
        try await server.test { client in
            var anna = try await client.login("anna")
            // Stored two days ahead, as a server of an earlier version did.
            serverClock.set(ManualWallClock.monday + 48 * Self.hour)
            Self.dating(&anna, at: ManualWallClock.monday + 48 * Self.hour)
            let caseID = try await anna.pushNewCase(via: client)
            serverClock.set(ManualWallClock.monday)
            // The same device goes on: its sequence, and its clock's last reading.
            func goOn(at milliseconds: UInt64) {
                anna.author = OperationAuthor(replica: anna.author.replica, user: anna.user,
                                              wallClock: ManualWallClock(milliseconds: milliseconds),
                                              clock: anna.author.clock, nextSeq: anna.author.nextSeq)
            }
            goOn(at: ManualWallClock.monday + 48 * Self.hour + 60_000)
            let next = try anna.newNote(in: caseID, body: "Hjemmebesøg")
            #expect(try await anna.push(next, via: client).status == .ok)
            goOn(at: ManualWallClock.monday + 72 * Self.hour)
            let further = try anna.newNote(in: caseID, body: "Senere")
            let refused = try await anna.push(further, via: client)
            #expect(refused.status == .conflict && refused.problemCode == "clock-ahead")
        }
    }
}

