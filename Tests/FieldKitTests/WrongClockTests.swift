@testable import FieldKit
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import SyncCore
import SyncPersistence
import SyncService
import SyncTestSupport
import Testing

/// Issue 14: a laptop whose clock is wrong. A clock in 2019 (a flat CMOS
/// battery) or in 2107 made the old client stamp changes that no replica can
/// read back, and every command failed with `StoreCorruption`, `logout`
/// included. A clock days fast had its changes sort after everyone's.
@Suite struct WrongClockTests {
    /// 2019-06-01 and 2107-03-01.
    static let in2019: UInt64 = 1_559_347_200_000
    static let in2107: UInt64 = 4_328_380_800_000
    static let day: UInt64 = 24 * 60 * 60 * 1000
    static var realNow: UInt64 { SystemWallClock().milliseconds() }

    static func laptop(_ user: String, server: String, clock: any WallClock) async throws -> FieldSession {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("laptop-\(user)-\(UUID().uuidString)")
        return try await FieldSession.login(
            paths: FieldPaths.resolve(home: home.path), server: server, user: user, password: TwoLaptopsTests.password,
            deviceName: "\(user)'s laptop", secret: { .passphrase("laptop secret of \(user)") }, clock: clock)
    }

    static func reopen(_ session: FieldSession, clock: any WallClock) throws -> FieldSession {
        try FieldSession.open(paths: session.paths, secret: { .passphrase("laptop secret of \(session.settings.user)") }, clock: clock)
    }

    /// What `LocalReplica.write` did before the fix: stamp with whatever the
    /// clock says, store, queue. The store then holds what it cannot read.
    @discardableResult
    static func writeAsTheOldClient(
        _ session: FieldSession, clock: any WallClock,
        _ make: @Sendable @escaping (inout OperationAuthor, (EntityID) throws -> EntityState?) throws -> [SyncCore.Operation]
    ) async throws -> [SyncCore.Operation] {
        let replica = session.replica
        let (vault, id, user) = (replica.vault, replica.replica, replica.user)
        return try await replica.writer.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT clock, nextSeq FROM clientState WHERE id = 1")!
            var author = OperationAuthor(
                replica: id, user: user, wallClock: clock,
                clock: HybridLogicalClock(latest: HLCTimestamp(rawValue: UInt64(row["clock"] as Int64))),
                nextSeq: UInt64(row["nextSeq"] as Int64))
            let operations = try make(&author) { entity in
                try OperationLog.fold(StoredOperation.ofEntity(entity.description), codec: .acceptingAnyTimestamp, bodies: vault, in: db)
                    .states[entity]
            }
            _ = try OperationLog.apply(operations, receivedAt: clock.milliseconds(), codec: OperationCodec(), bodies: vault, in: db)
            for operation in operations {
                try db.execute(sql: "INSERT INTO outbox (seq, id, caseID) VALUES (?, ?, ?)",
                               arguments: [Int64(operation.seq), operation.id.description, operation.caseID.description])
            }
            try db.execute(sql: "UPDATE clientState SET clock = ?, nextSeq = ? WHERE id = 1",
                           arguments: [Int64(author.clock.latest.rawValue), Int64(author.nextSeq)])
            return operations
        }
    }

    static func ownIDs(_ session: FieldSession) async throws -> [OperationID] {
        let replica = session.replica.replica.description
        return try await session.replica.writer.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM operation WHERE replica = ? ORDER BY seq", arguments: [replica])
        }.compactMap(OperationID.init)
    }

    // MARK: Refusing to stamp

    @Test(arguments: [in2019, in2107])
    func aLaptopWithABrokenClockRefusesANoteAndSaysWhy(broken: UInt64) async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let clock = ManualWallClock(milliseconds: Self.realNow)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            let before = try await anna.replica.status()
            // The hybrid clock would stamp after its last valid reading; the
            // laptop refuses all the same: its clock is broken.
            clock.set(broken)
            await #expect(throws: FieldError.wrongClock(milliseconds: broken)) {
                try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg hos familien Holm.")
            }
            await #expect(throws: FieldError.wrongClock(milliseconds: broken)) {
                try await anna.replica.recordRead(caseID: caseID, what: "case-show")
            }
            let after = try await anna.replica.status()
            #expect(after.operations == before.operations && after.waitingOperations == before.waitingOperations)
            #expect(after.waitingReads == before.waitingReads)
            let message = FieldError.wrongClock(milliseconds: broken).description
            let year = broken == Self.in2019 ? "2019-06-01 00:00 UTC" : "2107-03-01 00:00 UTC"
            #expect(message.contains("clock is wrong") && message.contains(year))
            #expect(message.contains("nothing was changed") && message.contains("set the correct date and time"))
            #expect(!message.contains("\n"))

            // A new laptop, whose clock has never read a valid time, too.
            let fresh = try await Self.laptop("dorte", server: server, clock: ManualWallClock(milliseconds: broken))
            await #expect(throws: FieldError.wrongClock(milliseconds: broken)) {
                try await TwoLaptopsTests.newCase(on: fresh, members: ["dorte"])
            }
            #expect(try await fresh.replica.status().operations == 0)
        }
    }

    // MARK: Repairing what the old client stamped

    @Test func aStoreWithChangesStampedIn2019AndIn2107OpensSyncsAndReachesASecondLaptopOnce() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            // A new laptop whose CMOS battery is flat: its clock says 2019.
            let clock = ManualWallClock(milliseconds: Self.in2019)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let written = try await Self.writeAsTheOldClient(anna, clock: clock) { author, _ in
                var random = SystemRandomSource()
                let created = author.create(EntityType.caseFile, inCase: nil, using: &random)
                var caseState = EntityState(id: created.entity)
                caseState.apply(created)
                let member = try author.add("anna", to: Case.Field.members, on: caseState)
                let note = author.create(EntityType.note, inCase: created.entity, using: &random)
                var noteState = EntityState(id: note.entity)
                noteState.apply(note)
                let body = try author.set(Note.Field.body, to: "Første udkast", on: noteState)
                return [created, member, note, body]
            }
            let (caseID, noteID) = (written[0].entity, written[2].entity)
            // Then someone typed the year wrong: 2107. The body is written again,
            // replacing the 2019 one by its id.
            clock.set(Self.in2107)
            try await Self.writeAsTheOldClient(anna, clock: clock) { author, lookup in
                var note = try lookup(noteID)!
                let second = try author.set(Note.Field.body, to: "Mor og Emil til stede.", on: note)
                note.apply(second)
                return [second, try author.set(Note.Field.title, to: "Hjemmebesøg", on: note)]
            }
            try await anna.replica.writer.write { db in
                try db.execute(sql: "INSERT INTO readLog (at, caseID, entity, what) VALUES (?, ?, NULL, 'case-show')",
                               arguments: [Int64(Self.in2107), caseID.description])
            }
            // What issue 14 reported: the store cannot read itself back.
            await #expect(throws: StoreCorruption.self) { try await anna.replica.entities(inCase: caseID) }

            // The clock is set right; the new client opens the store and repairs it.
            let now = Self.realNow
            clock.set(now)
            let repaired = try Self.reopen(anna, clock: clock)
            let repair = try #require(repaired.clockRepair)
            #expect(repair.restamped.count == 6 && repair.redatedReads == 1)
            let notice = try #require(repair.notice)
            #expect(notice.hasPrefix("6 changes (and 1 record of reading case data) written while this computer's clock said 2019-06-01 00:00 UTC were re-dated to "))
            #expect(try Self.reopen(anna, clock: clock).clockRepair == nil, "told once: nothing is left to repair")

            let ids = try await Self.ownIDs(repaired)
            #expect(ids.count == 6 && ids.allSatisfy { $0.timestamp.isValid && $0.timestamp.milliseconds >= now })
            #expect(ids == ids.sorted() && Set(ids).count == 6, "still increasing with seq")
            let view = try await repaired.caseView(caseID.description)
            let note = try #require(view.notes.first)
            #expect(note.body == "Mor og Emil til stede." && view.openConflicts.isEmpty, "the second body still replaces the first")
            try await repaired.replica.recordRead(caseID: caseID, what: "case-show")
            try await repaired.replica.createEntity(EntityType.note, inCase: caseID, fields: [(Note.Field.body, .string("Ny note"))])
            let afterNewNote = try await Self.ownIDs(repaired)
            #expect(afterNewNote.count == 8 && afterNewNote == afterNewNote.sorted())

            let pushed = try await repaired.sync()
            #expect(pushed.pushed == 8 && pushed.redated == nil)
            #expect(try await repaired.replica.status().waitingOperations == 0)
            _ = try await dorte.sync()
            _ = try await repaired.sync()
            _ = try await dorte.sync()
            #expect(try await dorte.replica.status().operations == 8, "each change arrived once")
            let onDorte = try #require(try await dorte.replica.entity(noteID))
            let onAnna = try #require(try await repaired.replica.entity(noteID))
            #expect(EntitySnapshot(onDorte) == EntitySnapshot(onAnna))
            #expect(onDorte.value(of: Note.Field.body) == "Mor og Emil til stede.")
        }
    }

    /// The `field` command tells the user about the repair once, on
    /// standard error, and the commands work again.
    @Test func fieldSaysOnceThatChangesWereRedatedAndShowsTheNotes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let home = FieldCommandJourneyTests.newHome("anna")
            try await FieldCommandJourneyTests.login("anna", server: server, home: home)
            let clock = ManualWallClock(milliseconds: Self.in2107)
            let anna = try FieldSession.open(paths: FieldPaths.resolve(home: home), secret: { .passphrase("laptop secret") }, clock: clock)
            let written = try await Self.writeAsTheOldClient(anna, clock: clock) { author, _ in
                var random = SystemRandomSource()
                let created = author.create(EntityType.caseFile, inCase: nil, using: &random)
                var caseState = EntityState(id: created.entity)
                caseState.apply(created)
                let note = author.create(EntityType.note, inCase: created.entity, using: &random)
                var noteState = EntityState(id: note.entity)
                noteState.apply(note)
                return [created, try author.add("anna", to: Case.Field.members, on: caseState), note,
                        try author.set(Note.Field.title, to: "Hjemmebesøg", on: noteState)]
            }
            let caseID = written[0].entity.description
            let first = try await FieldCommandJourneyTests.field(["note", "list", caseID], home: home)
            #expect(first.status == 0 && first.output.contains("Hjemmebesøg"), "\(first.error)")
            let lines = first.error.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("field: 4 changes written while this computer's clock said 2107-03-01 00:00 UTC were re-dated to "),
                    "\(first.error)")
            let second = try await FieldCommandJourneyTests.field(["case", "show", caseID], home: home)
            #expect(second.status == 0 && second.error.isEmpty, "\(second.error)")
            let synced = try await FieldCommandJourneyTests.succeed(["sync"], home: home)
            #expect(synced.contains("pushed 4"), "\(synced)")
        }
    }

    /// A stored clock beyond 2100 whose changes are gone (their case was
    /// removed from the laptop) would stamp every later change in 2107.
    @Test func aStoredClockIn2107WithoutItsChangesIsResetWhenTheStoreOpens() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let clock = ManualWallClock(milliseconds: Self.in2107)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let written = try await Self.writeAsTheOldClient(anna, clock: clock) { author, _ in
                var random = SystemRandomSource()
                return [author.create(EntityType.caseFile, inCase: nil, using: &random)]
            }
            try await anna.replica.writer.write { db in try LocalReplica.purge(caseID: written[0].entity, in: db) }
            clock.set(Self.realNow)
            let reopened = try Self.reopen(anna, clock: clock)
            #expect(reopened.clockRepair != nil && reopened.clockRepair?.notice == nil, "nothing the user wrote was re-dated")
            let caseID = try await TwoLaptopsTests.newCase(on: reopened, members: ["anna"])
            let ids = try await Self.ownIDs(reopened)
            #expect(ids.count == 2 && ids.allSatisfy { $0.timestamp.milliseconds < Self.realNow + 1_000 })
            #expect(try await reopened.caseView(caseID.description).record != nil)
        }
    }

    @Test func withTheClockStillIn2019TheRepairedLaptopSyncsAndSignsOut() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let clock = ManualWallClock(milliseconds: Self.in2019)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let written = try await Self.writeAsTheOldClient(anna, clock: clock) { author, _ in
                var random = SystemRandomSource()
                let created = author.create(EntityType.caseFile, inCase: nil, using: &random)
                var caseState = EntityState(id: created.entity)
                caseState.apply(created)
                return [created, try author.add("anna", to: Case.Field.members, on: caseState)]
            }
            // Opened while the clock still says 2019: nothing valid is held, so
            // the changes are dated 2020-01-01, which every replica can read.
            let repaired = try Self.reopen(anna, clock: clock)
            #expect(repaired.clockRepair?.restamped.first == HLCTimestamp(milliseconds: HLCTimestamp.earliestMilliseconds, counter: 0))
            #expect(try await repaired.caseView(written[0].entity.description).record != nil)
            await #expect(throws: FieldError.wrongClock(milliseconds: Self.in2019)) {
                try await TwoLaptopsTests.newNote(on: repaired, in: written[0].entity, body: "Ikke nu")
            }
            #expect(try await repaired.sync().pushed == 2)
            try await repaired.logout()
            #expect(!FileManager.default.fileExists(atPath: repaired.paths.database.path))
        }
    }

    @Test func aLaptopWhoseClockWentTo2107AfterWritingSyncsAndSignsOut() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let clock = ManualWallClock(milliseconds: Self.realNow)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            clock.set(Self.in2107)
            #expect(try await anna.sync().pushed == 2)
            _ = try await anna.sync()
            #expect(try await anna.caseView(caseID.description).record != nil)
            try await anna.logout()
            #expect(!FileManager.default.fileExists(atPath: anna.paths.database.path))
        }
    }

    // MARK: Ahead of the server

    /// What `clock-ahead` re-dates: the refused changes and every other
    /// waiting change dated after the server's time, but never one sent
    /// again after a restore (the server stored it once; others may hold it).
    @Test func redatingSparesChangesSentAgainAfterARestoreAndTakesTheOtherFastOnes() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let serverTime = Self.realNow
            // The case was written an hour fast: taken by the server, lost in
            // its restore, sent again.
            let clock = ManualWallClock(milliseconds: serverTime + 60 * 60 * 1000)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            clock.set(serverTime + 2 * Self.day)
            let first = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Første")
            let second = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Anden")
            let before = try await Self.ownIDs(anna)
            #expect(before.count == 6)
            // Pretend the server refused only the first note's creation, and
            // that the case's two changes were sent again after a restore.
            let restamped = try #require(try await anna.replica.restampAhead(
                of: [before[2]], serverTime: serverTime, sparing: Set(before[0...1])))
            #expect(restamped.count == 4, "the refused one and the three after it, dated ahead too")
            let after = try await Self.ownIDs(anna)
            #expect(Array(after[0...1]) == Array(before[0...1]), "re-sent changes keep their ids")
            // Just above the newest stamp kept (the case's, an hour ahead):
            // ids stay unique, and the server takes them.
            #expect(after[2...].allSatisfy { $0 > before[1] && $0.timestamp.milliseconds < serverTime + 60 * 60 * 1000 + 1_000 })
            #expect(after == after.sorted() && Set(after).count == 6)
            #expect(try await anna.replica.entity(first)?.value(of: Note.Field.body) == "Første")
            #expect(try await anna.replica.entity(second)?.value(of: Note.Field.body) == "Anden")
            // Nothing the server stored is re-dated: a change that is not
            // waiting cannot be named.
            #expect(try await anna.replica.restampAhead(of: [before[0]], serverTime: serverTime, sparing: Set(before[0...1])) == nil)
        }
    }

    @Test func aLaptopTwoDaysFastIsRedatedAtSyncAndConvergesWithASecondLaptop() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let clock = FastClock(ahead: 2 * Self.day)
            let anna = try await Self.laptop("anna", server: server, clock: clock)
            let dorte = try await TwoLaptopsTests.laptop("dorte", server: server)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            let noteID = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg hos familien Holm.")

            let before = Self.realNow
            let report = try await anna.sync()
            let redated = try #require(report.redated)
            #expect(report.pushed == 4 && redated.count == 4)
            // Dated when written, two days ahead of the real time then.
            #expect(redated.aheadOfServer > 2 * Self.day - (Self.realNow - before) - 1_000 && redated.aheadOfServer <= 2 * Self.day)
            #expect(redated.clockAhead >= 2 * Self.day && redated.clockAhead < 2 * Self.day + 60_000)
            #expect(redated.notice.contains("ahead of the server's clock and re-dated to the server's time"))
            #expect(redated.notice.contains("this computer's clock is 2 days ahead of the server's") && redated.notice.contains("re-dated like this at each sync"))
            let ids = try await Self.ownIDs(anna)
            #expect(ids.allSatisfy { $0.timestamp.milliseconds >= before - 1_000 && $0.timestamp.milliseconds < Self.realNow + 1_000 })
            #expect(ids == ids.sorted())

            // Still fast: the next change is dated ahead again, and re-dated
            // again at the next sync, while dorte edits the same body.
            _ = try await dorte.sync()
            try await TwoLaptopsTests.setBody(on: anna, note: noteID, to: "Mor og Emil til stede.")
            try await TwoLaptopsTests.setBody(on: dorte, note: noteID, to: "Far deltog telefonisk.")
            #expect(try await anna.sync().redated?.count == 1)
            _ = try await dorte.sync()
            _ = try await anna.sync()
            let onAnna = try #require(try await anna.replica.entity(noteID))
            let onDorte = try #require(try await dorte.replica.entity(noteID))
            #expect(EntitySnapshot(onAnna) == EntitySnapshot(onDorte))
            #expect(onAnna.conflicts().filter(\.isOpen).count == 1)
            #expect(try await anna.replica.status().waitingOperations == 0)
        }
    }
}

/// A computer clock that runs, a fixed time ahead of the real one.
struct FastClock: WallClock {
    let ahead: UInt64
    func milliseconds() -> UInt64 { SystemWallClock().milliseconds() + ahead }
}
