import Crypto
import Foundation
import SyncCore

/// `field sync`: push the outbox, then pull what is new, with retries and
/// backoff on network failures. Safe to interrupt at any point: a pushed batch
/// keeps its id until acknowledged (the server returns the same receipt for a
/// retry), and a pulled page is stored with its cursor in one transaction.
public struct SyncEngine: Sendable {
    let replica: LocalReplica
    let connection: ServerConnection
    public var pushBatchSize = 500
    public var pullPageSize = 2_000
    public var retryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]
    /// A busy server (`503 server-busy`) says to come back in seconds, and a
    /// body of this device's own that the server still reads (a connection
    /// dropped mid-push) holds it up to its idle timeout, 60 s: waited out.
    public var busyRetryDelays: [Duration] = [.seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(30)]
    /// Told the role the server holds now, as soon as it says so.
    public var roleSeen: @Sendable (String) async throws -> Void = { _ in }

    public struct Report: Sendable, Equatable {
        public var pushed = 0
        public var pulled = 0
        /// Of those pulled, the ones written on other laptops: a pull also
        /// brings back this laptop's own changes as the server stored them.
        public var pulledFromOthers = 0
        /// The entries (cases, notes, participants, steps) that what was
        /// pushed, and what was pulled from other laptops, changed: what a
        /// person counts.
        public var pushedEntries = 0
        public var pulledEntriesFromOthers = 0
        public var removedCases: [EntityID] = []
        /// The titles the removed cases had here, read before they were
        /// deleted: once gone, nothing else on the laptop can name them.
        public var removedCaseTitles: [EntityID: String] = [:]
        /// Of the removed cases, how many of their entries (notes,
        /// participants, steps) had changes made on this laptop that had not
        /// reached the server (refused: the user was no longer a member) and
        /// went with the case.
        public var unsentOfRemovedCases: [EntityID: Int] = [:]
        /// Changes the server found dated too far ahead of its clock, and
        /// that were re-dated to its time and pushed again.
        public var redated: Redated?
        /// Operations of this laptop that the server had acknowledged and no
        /// longer holds (it was restored from a backup), sent again.
        public var resent = 0
        /// The pull cursor was unknown to the server (a restore, or an old
        /// cursor), so this sync pulled from the beginning.
        public var pulledFromStart = false
        /// Cases whose changes the server could not take yet, with its reason:
        /// they stay in the outbox; the rest went.
        public var waitingCases: [EntityID: String] = [:]
        /// Operations sent again after a restore that the server now refuses
        /// for good (a rule that changed since it first took them, such as
        /// the user's role), with its reason: kept in the laptop's log, no
        /// longer in its outbox, where they would hold up everything behind.
        public var notRestored: [OperationID: String] = [:]
        /// Changes of this laptop that the server refused for the user's
        /// role, changed since they were written (a decision on a conflict
        /// by a supervisor who is one no longer), with its reason: taken
        /// back, so that this laptop shows what the office holds.
        public var withdrawn: [Withdrawn] = []
        /// The user's role as the server holds it now; nil from a server of
        /// an earlier version.
        public var role: String?
    }

    public struct Withdrawn: Sendable, Equatable {
        public let operation: SyncCore.Operation
        public let code: String
    }

    public typealias Progress = @Sendable (_ phase: String, _ done: Int, _ total: Int?) -> Void

    /// Refusals that concern one case or entity only, and that can pass: the
    /// server lost the case or the entity (restored from a backup) until the
    /// laptop that created it syncs, or the user's membership, until it is
    /// given back. Those changes wait on the laptop; the others go on.
    static let refusalsThatWait: Set<String> = ["unknown-case", "unknown-entity", "not-a-member"]

    /// Whether the server refused `operation` for a role the user had when
    /// it was written and no longer has (`now`, as the server states it): it
    /// will never be taken, and would hold up the outbox. This laptop writes
    /// a decision, or another user into a case's membership, only under a
    /// role that allows it (`requireMembershipRole`), so such an operation
    /// in its outbox had that role behind it; a user's own enrolment, which
    /// any creator of a case may write, is no such operation. Anything else,
    /// or a role this version does not know, stops the sync and keeps
    /// everything.
    static func isRefusedForARoleLost(_ operation: SyncCore.Operation, code: String, user: UserID, now: String?) -> Bool {
        guard let now = now.flatMap(UserRole.init(rawValue:)) else { return false }
        switch code {
        case WriteRefusal.Reason.resolutionNotAllowed.rawValue:
            guard case .resolve = operation.change else { return false }
            return !now.mayResolveConflicts
        case WriteRefusal.Reason.membershipChangeNotAllowed.rawValue:
            guard operation.entity == operation.caseID, let field = operation.field,
                  CaseworkSchema.entities[EntityType.caseFile]?.fields[field]?.writers == .membershipManagers else { return false }
            switch operation.change {
            case .add(_, .string(let named)), .set(_, .string(let named), _): if named == user.name { return false }
            default: break
            }
            return !now.mayChangeMembership
        default:
            return false
        }
    }

    public func run(progress: Progress = { _, _, _ in }) async throws -> Report {
        var report = Report()
        // What the server holds of this laptop's own operations: anything it
        // acknowledged and lost since goes back into the outbox, first.
        let state = try await retrying { try await connection.exchange(.get, "/v1/devices/current") }
        if let refusal = state.refusal {
            // A server of an earlier version does not state it: nothing to compare.
            guard state.status == 404 || state.status == 405 else { throw refusal }
        } else {
            let device = try state.decoded(DeviceState.decode)
            report.role = device.role
            try await roleSeen(device.role)
            report.resent = try await replica.requeueLost(heldByServer: device.held).count
        }
        let waiting = try await replica.status().waitingOperations
        // Why each case waits; the whole case, or only some of its entities
        // (an edit of a note the server lost waits, a new note goes).
        var blocked: [EntityID: String] = [:]
        var blockedCases: Set<EntityID> = []
        var blockedEntities: Set<EntityID> = []
        // Reads of a case or entity the server does not know would be
        // refused, and so lost: they wait with it. Those of a case the user
        // may no longer write go, before the pull can delete them.
        var readsWaitFor: Set<EntityID> = []
        var pushedEntries: Set<EntityID> = []
        // Push until the outbox is empty (but for what must wait).
        while true {
            let batch = try await replica.outbox(limit: pushBatchSize, excludingCases: blockedCases, entities: blockedEntities)
            let operations = batch.operations
            // Reads go with the outbox's last batch: a read of a case created
            // offline must reach the server after the case, or it is refused.
            let reads = operations.count < pushBatchSize ? try await replica.pendingReads(limit: 5_000, excludingCases: readsWaitFor) : []
            guard !operations.isEmpty || !reads.isEmpty else { break }
            let body = PushBatch(
                batch: Self.batchID(replica: replica.replica, operations: operations, reads: reads), operations: operations,
                reads: reads.map(\.read), proofs: batch.proofs
            ).encoded()
            let receipt = try await retrying { try await connection.exchange(.post, "/v1/push", body: body).throwingBusy() }
            if let refusal = receipt.refusal {
                if case .clockAhead(let serverTime, let refused, _) = refusal, report.redated == nil {
                    // Once a sync: the re-dated changes are not ahead of the server.
                    report.redated = try await redate(refused, serverTime: serverTime, sparing: try await replica.resentInOutbox())
                    continue
                }
                guard let code = receipt.problemCode, let index = receipt.problem?.operationIndex, operations.indices.contains(index)
                else { throw refusal }
                let refused = operations[index]
                if Self.refusalsThatWait.contains(code), !blockedCases.contains(refused.caseID), !blockedEntities.contains(refused.entity) {
                    if code == "unknown-entity" { blockedEntities.insert(refused.entity) } else { blockedCases.insert(refused.caseID) }
                    if code != "not-a-member" { readsWaitFor.insert(refused.caseID) }
                    blocked[refused.caseID] = blocked[refused.caseID] ?? code
                } else if receipt.status == 403, refused.id.replica == replica.replica, !batch.acknowledgedBefore.contains(refused.id),
                          Self.isRefusedForARoleLost(refused, code: code, user: replica.user, now: report.role) {
                    if let withdrawn = try await replica.withdraw(refused.id, code: code) {
                        report.withdrawn.append(Withdrawn(operation: withdrawn, code: code))
                    }
                } else if batch.acknowledgedBefore.contains(refused.id), receipt.status != 409 {
                    // Taken once, refused now: a rule the server applies to
                    // every writer changed between its backup and its restore.
                    try await replica.giveUp(refused.id, reason: code)
                    report.notRestored[refused.id] = code
                } else {
                    throw refusal
                }
                continue
            }
            let acknowledged = try receipt.decoded(PushReceipt.decode).operations.map { (id: $0.id, proof: $0.proof) }
            try await replica.acknowledge(operations: acknowledged, reads: reads.map(\.id))
            report.pushed += acknowledged.count
            pushedEntries.formUnion(operations.map(\.entity))
            report.pushedEntries = pushedEntries.count
            progress("push", report.pushed, waiting)
            if operations.count < pushBatchSize && reads.count < 5_000 { break }
        }
        // Pull until the server has nothing more.
        var pulledEntries: Set<EntityID> = []
        var fromStart = false
        while true {
            let cursor = fromStart ? nil : try await replica.cursor
            let query = "?limit=\(pullPageSize)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await retrying { try await connection.exchange(.get, "/v1/pull" + query).throwingBusy() }
            if let refusal = page.refusal {
                // The server no longer knows the cursor (it keeps four per
                // device, and a restored server has lost the newer ones):
                // start over. What is held already is stored once.
                guard page.problemCode == "unknown-cursor", cursor != nil, !fromStart else { throw refusal }
                fromStart = true
                report.pulledFromStart = true
                continue
            }
            fromStart = false
            let pulled = try page.decoded { data throws(WireError) in try PullPage.decode(data) }
            for caseID in pulled.removedCases {
                if let title = try await replica.entity(caseID).flatMap(Case.init)?.title { report.removedCaseTitles[caseID] = title }
            }
            let unsent = try await replica.storePulled(pulled.operations, removedCases: pulled.removedCases, cursor: pulled.cursor)
            report.unsentOfRemovedCases.merge(unsent, uniquingKeysWith: +)
            report.pulled += pulled.operations.count
            let fromOthers = pulled.operations.filter { $0.id.replica != replica.replica }
            report.pulledFromOthers += fromOthers.count
            pulledEntries.formUnion(fromOthers.map(\.entity))
            report.pulledEntriesFromOthers = pulledEntries.count
            report.removedCases += pulled.removedCases
            // The server counts what is left only when a page is full; the
            // total is what came so far plus that.
            progress("pull", report.pulled, report.pulled + pulled.remaining)
            if !pulled.hasMore { break }
        }
        try await replica.markSynced()
        // A case deleted by the pull (access lost) no longer waits.
        let stillWaiting = try await replica.casesInOutbox()
        report.waitingCases = blocked.filter { stillWaiting.contains($0.key) }
        return report
    }

    /// A batch's id: derived from what it holds, so that a retry after a lost
    /// answer sends the same id, and a batch of other contents never does
    /// (the server answers a known id with its stored receipt). The sequence
    /// numbers say which part of the outbox it is; a hash of the ids says
    /// exactly what, as operations that wait are left out.
    static func batchID(replica: ReplicaID, operations: [SyncCore.Operation], reads: [LocalReplica.PendingRead]) -> String {
        var hasher = SHA256()
        for operation in operations { hasher.update(data: Data(operation.id.description.utf8)) }
        for read in reads { hasher.update(data: Data("r\(read.id)".utf8)) }
        let digest = hasher.finalize().prefix(6).map { String(format: "%02x", $0) }.joined()
        guard let first = operations.first, let last = operations.last else {
            return "reads-\(replica)-\(reads.last?.id ?? 0)-\(digest)"
        }
        return "\(replica)-\(first.seq)-\(last.seq)-\(reads.last?.id ?? 0)-\(digest)"
    }

    /// Retries network failures, and a server too busy to take the body now
    /// (`503 server-busy`), with backoff; any other refusal by the server is final.
    func retrying<T: Sendable>(_ attempt: @Sendable () async throws -> T) async throws -> T {
        var delays = retryDelays[...]
        var busyDelays = busyRetryDelays[...]
        while true {
            do {
                return try await attempt()
            } catch let error as FieldError where error.isWorthRetrying {
                let isBusy = if case .serverRefused = error { true } else { false }
                guard let delay = isBusy ? busyDelays.popFirst() : delays.popFirst() else { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }
}

extension ServerConnection.Reply {
    /// A busy server is retried like the network: thrown, for `retrying`.
    func throwingBusy() throws -> Self {
        if let refusal, refusal.isWorthRetrying { throw refusal }
        return self
    }
}
