import Foundation
import GRDB
@testable import SyncService
import Testing

/// Requests that share a transaction must behave as if each had run alone:
/// a failing one leaves no trace and does not take its neighbours with it.
@Suite struct GroupCommitTests {
    struct Refused: Error, Equatable {
        let number: Int
    }

    static func makeDatabase() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE entry (number INTEGER PRIMARY KEY)")
        }
        return queue
    }

    @Test func concurrentWritesCommitTogetherAndAFailureRollsBackOnlyItself() async throws {
        let database = try Self.makeDatabase()
        let commit = GroupCommit(writer: database)
        // Every seventh request writes, then fails: its row must not survive.
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Refused>).self) { group in
            for number in 1...300 {
                group.addTask {
                    do {
                        let stored = try await commit.write { db -> Int in
                            try db.execute(sql: "INSERT INTO entry (number) VALUES (?)", arguments: [number])
                            if number % 7 == 0 { throw Refused(number: number) }
                            return try Int.fetchOne(db, sql: "SELECT number FROM entry WHERE number = ?", arguments: [number]) ?? -1
                        }
                        return (number, .success(stored))
                    } catch {
                        return (number, .failure(error as? Refused ?? Refused(number: -1)))
                    }
                }
            }
            var outcomes: [Int: Result<Int, Refused>] = [:]
            for await (number, outcome) in group { outcomes[number] = outcome }
            return outcomes
        }
        for number in 1...300 {
            if number % 7 == 0 {
                #expect(outcomes[number] == .failure(Refused(number: number)))
            } else {
                #expect(outcomes[number] == .success(number))
            }
        }
        let stored = try await database.read { db in try Int.fetchAll(db, sql: "SELECT number FROM entry ORDER BY number") }
        #expect(stored == (1...300).filter { $0 % 7 != 0 })
    }

    @Test func laterWorkInAGroupSeesWhatEarlierWorkWrote() async throws {
        let database = try Self.makeDatabase()
        let commit = GroupCommit(writer: database)
        // The same key twice: whichever runs second must see the first and refuse.
        async let first: Bool = commit.write { db in
            try db.execute(sql: "INSERT INTO entry (number) VALUES (1) ON CONFLICT DO NOTHING")
            return db.changesCount == 1
        }
        async let second: Bool = commit.write { db in
            try db.execute(sql: "INSERT INTO entry (number) VALUES (1) ON CONFLICT DO NOTHING")
            return db.changesCount == 1
        }
        let inserted = try await [first, second]
        #expect(inserted.filter { $0 }.count == 1)
    }

    @Test func aFailedCommitAnswersEveryRequestOfTheGroupWithTheError() async throws {
        let database = try Self.makeDatabase()
        try await database.write { db in
            // A deferred foreign key fails at COMMIT, after every savepoint succeeded.
            try db.execute(sql: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                """)
        }
        let commit = GroupCommit(writer: database)
        await #expect(throws: DatabaseError.self) {
            try await commit.write { db in
                try db.execute(sql: "INSERT INTO child (id, parent) VALUES (1, 42)")
            }
        }
        let children = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM child") }
        #expect(children == 0)
        // The committer keeps working after a failed group.
        try await commit.write { db in try db.execute(sql: "INSERT INTO entry (number) VALUES (5)") }
        let entries = try await database.read { db in try Int.fetchAll(db, sql: "SELECT number FROM entry") }
        #expect(entries == [5])
    }
}
