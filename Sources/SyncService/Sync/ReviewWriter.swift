import Foundation
import GRDB
import SyncCore
import SyncPersistence

extension ServerDatabase {
    /// Entities merged from every stored operation, with receive times.
    public func mergedEntities(_ ids: [EntityID]) async throws -> [EntityID: ConflictLog.MergedEntity] {
        let codec = self.codec
        return try await writer.read { db in
            var merged: [EntityID: ConflictLog.MergedEntity] = [:]
            for id in Set(ids) { merged[id] = try ConflictLog.merge(id, codec: codec, in: db) }
            return merged
        }
    }

    /// Writes operations in a review session, exactly as its browser would push
    /// them from a laptop: `make` authors them with SyncCore's `OperationAuthor`
    /// on the session's replica (its clock after everything it wrote and saw,
    /// its next sequence number), and they go through the same checks and the
    /// same transaction as `POST /v1/push`, so that membership, the conflict
    /// log and the audit log follow, and every laptop pulls them.
    ///
    /// Two forms sent at once in one session would take the same sequence
    /// number (and, in the same millisecond, the same operation id); the loser
    /// is refused whole by the log (`sequence-number-taken` or
    /// `conflicting-duplicate`) and is authored again on the new state. The
    /// session's replica is written by this server alone, so such a refusal
    /// can only be that race.
    ///
    /// Writes nothing, throwing `ServerClockOutOfRange`, while the server's
    /// clock is outside the years the protocol allows.
    public func writeFromReview(
        _ session: ReviewSession, entities: [EntityID],
        _ make: @Sendable (inout OperationAuthor, [EntityID: EntityState]) throws -> [SyncCore.Operation]
    ) async throws -> [SyncCore.Operation] {
        var attempt = 0
        while true {
            attempt += 1
            let merged = try await mergedEntities(entities)
            let states = merged.mapValues(\.state)
            let replica = session.replica.description
            let (lastSeq, lastID) = try await writer.read { db in
                let written = StoredOperation.filter(StoredOperation.Columns.replica == replica)
                return (try written.select(max(StoredOperation.Columns.seq), as: Int64.self).fetchOne(db) ?? 0,
                        try written.select(max(StoredOperation.Columns.id), as: String.self).fetchOne(db))
            }
            let latest = lastID.flatMap(OperationID.init)?.timestamp ?? HLCTimestamp(rawValue: 0)
            // Never stamp what no replica could read back (Protocol.md §3).
            var author: OperationAuthor
            do {
                author = try OperationAuthor.checked(
                    replica: session.replica, user: session.user, wallClock: clock,
                    clock: HybridLogicalClock(latest: latest), nextSeq: UInt64(lastSeq) + 1)
            } catch {
                throw ServerClockOutOfRange(detail: "\(error)")
            }
            // Stamped after what the supervisor is looking at (within the drift bound).
            author.observe(states.values.flatMap { $0.orderedOperations })
            let operations = try make(&author, states)
            guard let first = operations.first, let last = operations.last else { return [] }
            var random = SystemRandomSource()
            let batch = "review-\(first.seq)-\(last.seq)-\(EntityID(using: &random).description.prefix(12))"
            do {
                let (_, stored) = try await push(PushBatch(batch: batch, operations: operations), from: session.device)
                SyncMetrics.operationsPushed.increment(by: stored)
                SyncMetrics.openConflicts.record(openConflictGauge)
                return operations
            } catch let refusal as PushRefusal where refusal.isLostRace && attempt < 3 {
                continue
            }
        }
    }
}
