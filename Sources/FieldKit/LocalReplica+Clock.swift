import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// A computer whose clock is wrong (Protocol.md §3, §10.8): the laptop
/// refuses to stamp anything with a time no replica can read back, repairs
/// what an earlier version stamped that way, and re-dates changes the server
/// found too far ahead of its own clock.
extension LocalReplica {
    /// An author for one write, refused while the computer's clock reads a
    /// time outside the range the protocol allows. Refused even where the
    /// hybrid clock would stamp a valid time from the last one it saw: such a
    /// clock is broken, and a new laptop would stamp the broken time itself.
    static func author(
        replica: ReplicaID, user: UserID, wallClock: any WallClock, now: UInt64, latest: HLCTimestamp, nextSeq: UInt64
    ) throws -> OperationAuthor {
        do {
            return try OperationAuthor.checked(
                replica: replica, user: user, wallClock: wallClock, clock: HybridLogicalClock(latest: latest), nextSeq: nextSeq)
        } catch {
            guard HLCTimestamp.validMilliseconds.contains(now) else { throw FieldError.wrongClock(milliseconds: now) }
            // The clock is right but the stored one is not: `repairClockDamage`
            // resets it when the replica opens, so this is not met in use.
            throw StoreCorruption(detail: "the laptop's stored clock is at \(latest); open the local data again to repair it")
        }
    }

    /// What a re-stamping did: how many of the laptop's own changes got new
    /// ids, the times they carried, and the times they carry now.
    public struct Restamped: Sendable, Equatable {
        public let count: Int
        public let oldMilliseconds: ClosedRange<UInt64>?
        public let first: HLCTimestamp?
        public let last: HLCTimestamp?
    }

    /// Gives new ids to the laptop's own changes with these sequence numbers,
    /// from `base` (milliseconds) on and above every stamp the laptop keeps
    /// of its own, in their order; rewrites every reference to their old ids
    /// in the changes still waiting to be sent, and moves the laptop's clock
    /// to the last new stamp. One transaction.
    ///
    /// Only changes still in the outbox may be re-stamped: the server never
    /// stored them, so no other replica can know their ids. Any other
    /// sequence number is refused and nothing changes.
    @discardableResult
    public func restamp(ownOperationsWithSeqs seqs: Set<UInt64>, from base: UInt64) async throws -> Restamped {
        let (replica, vault) = (self.replica, self.vault)
        return try await writer.write { db in try Self.restamp(ownOperationsWithSeqs: seqs, from: base, replica: replica, vault: vault, in: db) }
    }

    static func restamp(
        ownOperationsWithSeqs seqs: Set<UInt64>, from base: UInt64, replica: ReplicaID, vault: Vault, in db: Database
    ) throws -> Restamped {
        guard !seqs.isEmpty else { return Restamped(count: 0, oldMilliseconds: nil, first: nil, last: nil) }
        // The bodies may carry a time the ordinary decoder refuses: that is
        // what is being repaired.
        let lenient = OperationCodec.acceptingAnyTimestamp
        // Raw SQL in the laptop's storage: a join of the log with the
        // laptop's outbox (see `LocalReplica.outbox`).
        let waiting = try Data.fetchAll(db, sql: """
            SELECT operation.body FROM outbox JOIN operation ON operation.id = outbox.id ORDER BY outbox.seq
            """).map { try OperationLog.decode(try vault.open($0), codec: lenient) }
        let chosen = waiting.filter { seqs.contains($0.seq) && $0.replica == replica }
        guard chosen.count == seqs.count else {
            throw FieldError.invalidArgument("only changes of this laptop that have not reached the server can be re-dated")
        }
        // The newest valid stamp of this laptop's own that stays: the new
        // ones go above it, so that its ids stay unique. (Down the id index
        // from the top of the valid range; rare enough to scan.)
        var kept = HLCTimestamp(rawValue: 0)
        do {
            let own = try StoredOperation.filter(isValidID && StoredOperation.Columns.replica == replica.description)
                .select(StoredOperation.Columns.seq, StoredOperation.Columns.id).order(StoredOperation.Columns.id.desc)
                .asRequest(of: Row.self).fetchCursor(db)
            while let row = try own.next() {
                guard !seqs.contains(UInt64(row[0] as Int64)), let id = OperationID(row[1] as String) else { continue }
                kept = id.timestamp
                break
            }
        }
        var clock = HybridLogicalClock(latest: kept)
        let restamping = Restamping(chosen, from: clock.tick(physical: base))
        guard let first = restamping.first, let last = restamping.last, last.isValid else {
            throw StoreCorruption(detail: "no valid time is left above \(kept) to re-date \(chosen.count) changes")
        }
        let touched = waiting.filter(restamping.touches)
        // Through a name no id can have, so that a new id may be one that
        // another re-stamped change still holds.
        for operation in touched where restamping.newIDs[operation.id] != nil {
            try StoredOperation.filter(StoredOperation.Columns.id == operation.id.description)
                .updateAll(db, StoredOperation.Columns.id.set(to: "restamping-\(operation.seq)"))
        }
        let codec = OperationCodec()
        for operation in touched {
            let renamed = restamping.applied(to: operation)
            let current = restamping.newIDs[operation.id] == nil ? operation.id.description : "restamping-\(operation.seq)"
            try StoredOperation.filter(StoredOperation.Columns.id == current).updateAll(db, [
                StoredOperation.Columns.id.set(to: renamed.id.description),
                StoredOperation.Columns.body.set(to: try vault.seal(codec.encode(renamed), for: renamed.id)),
            ])
            try OutboxRecord.filter(OutboxRecord.Columns.seq == Int64(renamed.seq))
                .updateAll(db, OutboxRecord.Columns.id.set(to: renamed.id.description))
        }
        try ClientStateRecord.setClock(last, in: db)
        let old = chosen.map(\.milliseconds)
        return Restamped(count: chosen.count, oldMilliseconds: old.min()!...old.max()!, first: first, last: last)
    }

    // MARK: Repair at opening

    /// What the repair at opening did, and the one line that tells the user.
    public struct ClockRepair: Sendable, Equatable {
        public let restamped: Restamped
        public let redatedReads: Int
        /// When the first change was stamped by the broken clock.
        public let brokenMilliseconds: UInt64?

        public var notice: String? {
            let records = redatedReads == 1 ? "1 record" : "\(redatedReads) records"
            guard let first = restamped.first else {
                return redatedReads == 0 ? nil
                    : "\(records) of reading case data, made while this computer's clock was wrong, were re-dated to now so that they can be synced"
            }
            let changes = restamped.count == 1 ? "1 change" : "\(restamped.count) changes"
            let reads = redatedReads == 0 ? "" : " (and \(records) of reading case data)"
            let said = brokenMilliseconds.map { "while this computer's clock said \(ClockText.time($0))" } ?? "while this computer's clock was wrong"
            return "\(changes)\(reads) written \(said) were re-dated to \(ClockText.time(first.milliseconds)) so that they can be synced"
        }
    }

    /// Repairs what an earlier version of `field` wrote with a broken clock:
    /// its own changes stamped before 2020 or from 2100 on (which nothing can
    /// read back, so every command failed), a stored clock beyond 2100, and
    /// reads logged with such times (which the server refuses). Nil when
    /// there is nothing to repair: two indexed lookups and the clock's row.
    ///
    /// The changes are re-stamped from the first broken one to the end of the
    /// outbox (everything after it waited behind it, unsent), at the
    /// computer's time if it is valid, else just above the newest valid
    /// stamp held, else 2020-01-01.
    func repairClockDamage() throws -> ClockRepair? {
        let (replica, vault, now) = (self.replica, self.vault, clock.milliseconds())
        // Looked for in a read first: every command opens the store, and a
        // write transaction would wait for another `field` that writes.
        guard try writer.read({ db in try Self.needsClockRepair(replica: replica, in: db) }) else { return nil }
        return try writer.write { db in try Self.repairClockDamage(replica: replica, vault: vault, now: now, in: db) }
    }

    /// Ids are fixed-width hex with the time first: a range of the id index.
    private static let validIDs = (
        lower: HLCTimestamp(milliseconds: HLCTimestamp.earliestMilliseconds, counter: 0).description,
        upper: HLCTimestamp(milliseconds: HLCTimestamp.latestMilliseconds, counter: 0).description)

    private static var isValidID: SQLExpression {
        StoredOperation.Columns.id >= validIDs.lower && StoredOperation.Columns.id < validIDs.upper
    }

    private static var isBrokenID: SQLExpression {
        StoredOperation.Columns.id < validIDs.lower || StoredOperation.Columns.id >= validIDs.upper
    }

    private static var isBrokenRead: SQLExpression {
        ReadLogRecord.Columns.at < Int64(HLCTimestamp.earliestMilliseconds)
            || ReadLogRecord.Columns.at >= Int64(HLCTimestamp.latestMilliseconds)
    }

    static func needsClockRepair(replica: ReplicaID, in db: Database) throws -> Bool {
        let brokenOperation = try !StoredOperation.filter(isBrokenID && StoredOperation.Columns.replica == replica.description).isEmpty(db)
        let latest = try ClientStateRecord.clock(in: db)
        let brokenRead = try !ReadLogRecord.filter(isBrokenRead).isEmpty(db)
        return brokenOperation || brokenRead || latest.milliseconds >= HLCTimestamp.latestMilliseconds
    }

    static func repairClockDamage(replica: ReplicaID, vault: Vault, now: UInt64, in db: Database) throws -> ClockRepair? {
        let ownOperations = StoredOperation.filter(StoredOperation.Columns.replica == replica.description)
        let broken = try ownOperations.filter(isBrokenID).select(StoredOperation.Columns.seq, StoredOperation.Columns.id)
            .order(StoredOperation.Columns.seq).asRequest(of: Row.self).fetchAll(db)
        let latest = try ClientStateRecord.clock(in: db)
        let brokenReads = try ReadLogRecord.filter(isBrokenRead).fetchCount(db)
        guard !broken.isEmpty || latest.milliseconds >= HLCTimestamp.latestMilliseconds || brokenReads > 0 else { return nil }

        let base: UInt64
        if HLCTimestamp.validMilliseconds.contains(now) {
            base = now
        } else if let newest = try StoredOperation.filter(isValidID).select(max(StoredOperation.Columns.id), as: String.self)
            .fetchOne(db).flatMap(OperationID.init) {
            base = newest.timestamp.milliseconds + 1
        } else {
            base = HLCTimestamp.earliestMilliseconds
        }
        var restamped = Restamped(count: 0, oldMilliseconds: nil, first: nil, last: nil)
        if let firstBroken = broken.first.map({ $0[0] as Int64 }) {
            let seqs = try OutboxRecord.filter(OutboxRecord.Columns.seq >= firstBroken).select(OutboxRecord.Columns.seq, as: Int64.self)
                .fetchAll(db)
            restamped = try restamp(ownOperationsWithSeqs: Set(seqs.map(UInt64.init)), from: base, replica: replica, vault: vault, in: db)
        }
        if restamped.last == nil, latest.milliseconds >= HLCTimestamp.latestMilliseconds {
            // A stamp beyond 2100 whose change is gone (its case was removed):
            // the clock goes back to this laptop's newest valid stamp.
            let newestOwn = try ownOperations.filter(isValidID).order(StoredOperation.Columns.seq.desc)
                .select(StoredOperation.Columns.id, as: String.self).fetchOne(db).flatMap(OperationID.init)
            try ClientStateRecord.setClock(newestOwn?.timestamp ?? HLCTimestamp(rawValue: 0), in: db)
        }
        // A read's time is evidence, but one the server refuses would hold up
        // the outbox for good: it is dated when the laptop could first tell.
        let readTime = Int64(restamped.first?.milliseconds ?? base)
        try ReadLogRecord.filter(isBrokenRead).updateAll(db, ReadLogRecord.Columns.at.set(to: readTime))
        let brokenTime = broken.first.flatMap { OperationID($0[1] as String) }?.timestamp.milliseconds
        return ClockRepair(restamped: restamped, redatedReads: brokenReads, brokenMilliseconds: brokenTime)
    }

    // MARK: Ahead of the server

    /// Re-dates the waiting changes the server refused as too far ahead of
    /// its clock (`409 clock-ahead`), and every other waiting change dated
    /// after the server's time (the same fast clock wrote them: they would be
    /// refused next), to the server's time: not to this computer's, which is
    /// what was wrong. Changes sent again after a restore (`sparing`) keep
    /// their ids: the server stored them once, and other laptops may hold
    /// them. Nil when none of the refused waits here any more.
    func restampAhead(of refused: [OperationID], serverTime: UInt64, sparing resent: Set<OperationID> = []) async throws -> Restamped? {
        let (replica, vault) = (self.replica, self.vault)
        return try await writer.write { db in
            var seqs: Set<UInt64> = []
            for id in refused where !resent.contains(id) {
                if let seq = try OutboxRecord.filter(OutboxRecord.Columns.id == id.description)
                    .select(OutboxRecord.Columns.seq, as: Int64.self).fetchOne(db) {
                    seqs.insert(UInt64(seq))
                }
            }
            guard !seqs.isEmpty else { return nil }
            let serverStamp = HLCTimestamp(milliseconds: serverTime, counter: HLCTimestamp.maximumCounter).description
            let later = OutboxRecord.filter(OutboxRecord.Columns.id > serverStamp).select(OutboxRecord.Columns.seq, OutboxRecord.Columns.id)
            for row in try later.asRequest(of: Row.self).fetchAll(db)
            where !resent.contains(where: { $0.description == row[1] as String }) {
                seqs.insert(UInt64(row[0] as Int64))
            }
            return try Self.restamp(ownOperationsWithSeqs: seqs, from: serverTime, replica: replica, vault: vault, in: db)
        }
    }
}
