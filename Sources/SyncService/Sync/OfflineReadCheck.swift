import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// Which reads uploaded with a push go into the access log (Protocol.md
/// §10.3). The access log is evidence for citizens and the data protection
/// officer: a device must not be able to write reads of cases it never held,
/// at times it could not have read them, or so many that the real entries of
/// a case are buried.
///
/// Reads that fail are not written as `device-read` events; they are counted
/// by reason in one `device-reads-refused` event instead, and the push goes
/// through: refusing it would hold an honest laptop's outbox up for good
/// (a wrong clock is enough) while telling an attacker nothing they need.
/// Logging them one by one, marked unverified, would give the flood back.
enum OfflineReadCheck {
    /// A user's uploaded reads per day (server time, UTC), over all their
    /// devices (a new sign-in is a new device), refused ones included: a
    /// caseworker opening a case or a note a thousand times a day, or a
    /// supervisor listing five hundred cases ten times, is far below it.
    static let maximumPerUserPerDay = 20_000
    /// How far ahead of the server's clock a laptop's clock may be: the
    /// drift §3 tolerates.
    static let clockTolerance: Int64 = 10 * 60 * 1_000
    static let dayMilliseconds: Int64 = 86_400_000

    enum Refusal: String, CaseIterable {
        case caseNotHeld = "case-not-held"
        case inTheFuture = "in-the-future"
        case beforeSignIn = "before-sign-in"
        case overDailyCap = "over-daily-cap"
        case entityNotInCase = "entity-not-in-case"
    }

    /// Migration "server v2 read quota".
    static func createReadQuota(_ db: Database) throws {
        try db.create(table: "readQuota", options: .withoutRowID) { table in
            table.column("user", .text).notNull()
            table.column("day", .integer).notNull()
            table.column("count", .integer).notNull()
            table.primaryKey(["user", "day"])
        }
    }

    /// Splits the reads into those to record and the refused ones by reason,
    /// and counts the recorded ones against the device's day. Runs inside
    /// the push's transaction, after its operations are stored (so a case the
    /// batch creates is held).
    static func sort(
        _ reads: [PushBatch.Read], device: AuthenticatedDevice, now: Int64, in db: Database
    ) throws -> (accepted: [PushBatch.Read], refused: [Refusal: Int]) {
        guard !reads.isEmpty else { return ([], [:]) }
        let replica = device.replica.description
        let signedInAt = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT createdAt FROM device WHERE replica = ?"), arguments: [replica]) ?? now
        var holdable: [EntityID: Bool] = [:]
        var sentToDevice: Set<String>?
        func mayHold(_ caseID: EntityID) throws -> Bool {
            if let known = holdable[caseID] { return known }
            var answer = try OperationLog.caseExists(caseID, in: db) && CaseAccess.mayAccess(caseID, device: device, in: db)
            if !answer {
                // Access may have gone since the read (a handover): a case the
                // device was sent, as its pull cursors record, still counts.
                if sentToDevice == nil {
                    let stored = try Data.fetchAll(
                        db.cachedStatement(sql: "SELECT positions FROM pullCursor WHERE device = ?"), arguments: [replica])
                    sentToDevice = Set(try stored.flatMap { try ServerDatabase.decodePositions($0).keys })
                }
                answer = sentToDevice!.contains(caseID.description)
            }
            holdable[caseID] = answer
            return answer
        }

        let user = device.user.name
        let day = now / dayMilliseconds
        let usedToday = try Int.fetchOne(
            db.cachedStatement(sql: "SELECT count FROM readQuota WHERE user = ? AND day = ?"), arguments: [user, day]) ?? 0
        var accepted: [PushBatch.Read] = []
        var refused: [Refusal: Int] = [:]
        for (index, read) in reads.enumerated() {
            // The cap first: past it, a read costs no lookup in the writer.
            let refusal: Refusal? = if usedToday + index >= maximumPerUserPerDay {
                .overDailyCap
            } else if read.at > now + clockTolerance {
                .inTheFuture
            } else if read.at < signedInAt - clockTolerance {
                .beforeSignIn
            } else if try !mayHold(read.caseID) {
                .caseNotHeld
            } else if let entity = read.entity, try OperationLog.caseOf(entity: entity, in: db) != read.caseID {
                .entityNotInCase
            } else {
                nil
            }
            if let refusal { refused[refusal, default: 0] += 1 } else { accepted.append(read) }
        }
        try db.cachedStatement(sql: """
            INSERT INTO readQuota (user, day, count) VALUES (?, ?, ?)
            ON CONFLICT (user, day) DO UPDATE SET count = count + excluded.count
            """).execute(arguments: [user, day, reads.count])
        try db.cachedStatement(sql: "DELETE FROM readQuota WHERE user = ? AND day < ?").execute(arguments: [user, day])
        return (accepted, refused)
    }
}
