import Crypto
import Foundation
import GRDB
import SyncCore
import SyncPersistence

extension ServerDatabase {
    /// Checks and stores one pushed batch in one transaction, or refuses all of it.
    /// A batch id already stored for this device returns the stored receipt,
    /// as the bytes that were stored, if it was stored for these operations.
    func push(_ request: PushBatch, from device: AuthenticatedDevice) async throws -> (receipt: Data, stored: Int) {
        try Self.checkAuthorship(request.operations, device: device)
        let at = now
        let codec = self.codec
        let receiptKey = self.receiptKey
        let acceptedBefore = ReceiptProof.accepted(request.operations, proofs: request.proofs, codec: codec, key: receiptKey)
        let batchHash = Self.batchHash(request)
        let (receipt, stored, openConflictDelta) = try await groupCommit.write { db -> (Data, Int, Int) in
            var openConflictDelta = 0
            let storedReceipt = try db.cachedStatement(sql: "SELECT receipt, batchHash FROM pushReceipt WHERE device = ? AND batch = ?")
            if let existing = try Row.fetchOne(storedReceipt, arguments: [device.replica.description, request.batch]) {
                let receipt: Data = existing["receipt"]
                guard try Self.isRetry(request, of: receipt, storedHash: existing["batchHash"], hash: batchHash, codec: codec, in: db) else {
                    throw PushRefusal.batchIDReused(batch: request.batch)
                }
                return (receipt, 0, 0)
            }
            // Operations already held were checked when they were first stored; a
            // retry under another batch id must not be judged again (the case it
            // created exists now, the membership it set is now a change).
            let held = try OperationLog.heldIDs(among: request.operations.map(\.id), in: db)
            // What an upgrade set aside stays aside: a proof from before it
            // must not bring it back past the rules that set it aside.
            let acceptedBefore = try acceptedBefore.subtracting(OperationQuarantine.quarantinedIDs(among: acceptedBefore, in: db))
            // An operation the server accepted once (its receipt's proof) was
            // judged by its clock then too.
            try Self.checkClock(request.operations, skipping: held.union(acceptedBefore), serverTime: at) {
                try String.fetchOne(db, sql: "SELECT id FROM operation WHERE replica = ? ORDER BY seq DESC LIMIT 1",
                                    arguments: [device.replica.description]).flatMap(OperationID.init)?.timestamp.milliseconds
            }
            try Self.checkWrites(request.operations, skipping: held, acceptedBefore: acceptedBefore, device: device, codec: codec, in: db)
            let entries: [OperationLog.Entry]
            do {
                entries = try OperationLog.apply(request.operations, receivedAt: UInt64(at), codec: codec, in: db)
            } catch let error as OperationError {
                throw PushRefusal.invalidOperation(error)
            }
            let fresh = Set(entries.filter(\.isNew).map(\.id))
            // Once each: a batch may carry the same operation twice, and the
            // merge, the conflict log and the audit counts must see it once.
            var seen: Set<OperationID> = []
            let freshOperations = request.operations.filter { fresh.contains($0.id) && seen.insert($0.id).inserted }

            // Derived tables: membership, then the conflict log, from one merge
            // of each entity the batch added to.
            let touchedCases = Set(freshOperations.filter { $0.entity == $0.caseID }.map(\.caseID))
            var merged: [ConflictLog.MergedEntity] = []
            let freshByEntity = Dictionary(grouping: freshOperations, by: \.entity)
            for entity in freshByEntity.keys.sorted() {
                let entityState = try ConflictLog.merge(entity, adding: freshByEntity[entity]!, receivedAt: UInt64(at), codec: codec, in: db)
                merged.append(entityState)
                guard touchedCases.contains(entity) else { continue }
                let caseID = entity
                let change = try CaseAccess.refreshMembership(of: caseID, state: entityState.state, in: db)
                if !change.added.isEmpty || !change.removed.isEmpty {
                    try AuditLog.record(
                        .membershipChanged, actor: device.user.name, device: device.replica.description,
                        caseID: caseID.description,
                        detail: ["added": .array(change.added.sorted().map(JSONValue.string)),
                                 "removed": .array(change.removed.sorted().map(JSONValue.string))],
                        at: at, in: db)
                }
            }
            openConflictDelta = try ConflictLog.refresh(merged, in: db)

            var perCase: [String: Int] = [:]
            for operation in freshOperations { perCase[operation.caseID.description, default: 0] += 1 }
            for (caseID, count) in perCase.sorted(by: { $0.key < $1.key }) {
                try AuditLog.record(.push, actor: device.user.name, device: device.replica.description, caseID: caseID,
                                    detail: ["operations": .integer(Int64(count)), "batch": .string(request.batch)], at: at, in: db)
            }
            for operation in freshOperations {
                if case .resolve(let field, _, let supersedes, let reason) = operation.change {
                    try AuditLog.record(
                        .conflictResolved, actor: device.user.name, device: device.replica.description,
                        caseID: operation.caseID.description,
                        detail: ["entity": .string(operation.entity.description), "field": .string(field),
                                 "supersedes": .array(supersedes.map { .string($0.description) }), "reason": .string(reason)],
                        at: at, in: db)
                }
            }
            let (reads, refusedReads) = try OfflineReadCheck.sort(request.reads, device: device, now: at, in: db)
            if !refusedReads.isEmpty {
                try AuditLog.record(
                    .deviceReadsRefused, actor: device.user.name, device: device.replica.description,
                    detail: ["batch": .string(request.batch),
                             "refused": .object(refusedReads.reduce(into: [:]) { $0[$1.key.rawValue] = .integer(Int64($1.value)) })],
                    source: "device", at: at, in: db)
            }
            for read in reads {
                try AuditLog.record(
                    .deviceRead, actor: device.user.name, device: device.replica.description, caseID: read.caseID.description,
                    detail: ["what": .string(read.what), "entity": read.entity.map { .string($0.description) } ?? .null,
                             "readAt": .integer(read.at)],
                    source: "device", at: at, in: db)
            }

            let receipt = PushReceipt(
                batch: request.batch, serverTime: at, stored: fresh.count, duplicates: entries.count - fresh.count,
                operations: zip(entries, request.operations).map { entry, operation in
                    PushReceipt.Entry(id: entry.id, position: entry.position,
                                      proof: ReceiptProof.make(for: entry.id, canonical: codec.encode(operation), key: receiptKey))
                }
            ).encoded()
            try db.cachedStatement(sql: "INSERT INTO pushReceipt (device, batch, receipt, createdAt, batchHash) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [device.replica.description, request.batch, receipt, at, batchHash])
            return (receipt, fresh.count, openConflictDelta)
        }
        // After the commit: a failed transaction changed nothing.
        if openConflictDelta != 0 { openConflicts.withLock { $0 += openConflictDelta } }
        return (receipt, stored)
    }

    /// What a receipt is stored with to tell a retry from a reuse of its
    /// batch id: the SHA-256 of the batch's operation ids, in the order sent,
    /// and of its reads in canonical form. Ids, not the operations' encoding,
    /// so that a retry across an upgrade that writes some value anew (numbers,
    /// Protocol.md §4) is still a retry; the content is compared with what is
    /// held instead (`isRetry`). Reads too: a batch of reads only, sent again
    /// with other reads, must not be answered with the old receipt, after
    /// which the laptop would delete reads never stored.
    static func batchHash(_ request: PushBatch) -> Data {
        var hash = SHA256()
        for operation in request.operations {
            hash.update(data: Data(operation.id.description.utf8))
            hash.update(data: Data([0x0A]))
        }
        hash.update(data: PushBatch(batch: "reads", operations: [], reads: request.reads).encoded())
        return Data(hash.finalize())
    }

    /// Whether a push under a stored batch id is a retry of that batch: the
    /// same ids (and reads), and each operation the same as its held copy, in
    /// whatever spelling that was stored (an operation set aside since is not
    /// held and is not compared). A receipt stored before the hash was kept is
    /// compared by the ids it lists, in order; one of a form too old to read
    /// is taken as the retry it was taken for before.
    static func isRetry(
        _ request: PushBatch, of receipt: Data, storedHash: Data?, hash: Data, codec: OperationCodec, in db: Database
    ) throws -> Bool {
        if let storedHash {
            guard storedHash == hash else { return false }
        } else if let stored = try? PushReceipt.decode(receipt) {
            guard stored.operations.map(\.id) == request.operations.map(\.id) else { return false }
        } else {
            return true
        }
        for operation in request.operations where try OperationLog.heldCopyMatches(operation, codec: codec, in: db) == false {
            return false
        }
        return true
    }

    /// Migration "server v5" (`ServerMigrations`): receipts of batches pushed
    /// from now on keep their batch's hash; those stored before it have none,
    /// and a batch id sent again is then compared by the ids the receipt lists.
    static func addBatchHash(_ db: Database) throws {
        try db.alter(table: PushReceiptRecord.databaseTableName) { table in
            table.add(column: "batchHash", .blob)
        }
    }

    /// Every operation must be written by the authenticated user on the
    /// authenticated device: nobody pushes in someone else's name.
    static func checkAuthorship(_ operations: [SyncCore.Operation], device: AuthenticatedDevice) throws(PushRefusal) {
        for (index, operation) in operations.enumerated() {
            guard operation.author == device.user else {
                throw .forgedAuthor(index: index, author: operation.author, user: device.user)
            }
            guard operation.replica == device.replica else {
                throw .forgedDevice(index: index, operation: operation.id, device: device.replica)
            }
        }
    }

    /// How far ahead of the server's clock a new operation may be dated: a
    /// day. Beyond it the device's clock is wrong, not drifting, and its
    /// operations would sort after everyone's for as long as it is.
    public static let maximumClockAhead: UInt64 = 24 * 60 * 60 * 1000

    /// Refuses, with every offending id, new operations dated more than
    /// `maximumClockAhead` after the server's time. Held ones were accepted
    /// when first stored, and a retry must stay possible.
    static func checkClock(
        _ operations: [SyncCore.Operation], skipping held: Set<OperationID>, serverTime: Int64,
        newestHeld: () throws -> UInt64? = { nil }
    ) throws {
        var limit = UInt64(max(0, serverTime)) + maximumClockAhead
        var seen: Set<OperationID> = []
        var ahead = operations.indices.filter {
            !held.contains(operations[$0].id) && operations[$0].milliseconds > limit && seen.insert(operations[$0].id).inserted
        }
        guard !ahead.isEmpty else { return }
        // A device whose clock was fast before this rule had such operations
        // stored; its later ones (re-dated ones too) are stamped after them,
        // so they may come as far as just past those, within the drift.
        if let newest = try newestHeld() {
            limit = max(limit, newest + HybridLogicalClock.defaultMaximumDrift)
            ahead = ahead.filter { operations[$0].milliseconds > limit }
        }
        guard let first = ahead.first else { return }
        throw PushRefusal.clockAhead(
            index: first, ahead: operations[first].milliseconds - UInt64(max(0, serverTime)), limit: maximumClockAhead,
            serverTime: serverTime, operations: ahead.map { operations[$0].id })
    }

    /// The write rules (SyncCore's `WriteRules`, a whitelist) for every
    /// operation not held yet, against what the database holds. A refusal
    /// names the operation's place in the request as sent.
    static func checkWrites(
        _ operations: [SyncCore.Operation], skipping held: Set<OperationID>, acceptedBefore: Set<OperationID> = [],
        device: AuthenticatedDevice, codec: OperationCodec, in db: Database
    ) throws {
        // Once each: a batch may carry an operation twice (§8: harmless).
        var seen: Set<OperationID> = []
        let checked = operations.indices.filter { !held.contains(operations[$0].id) && seen.insert(operations[$0].id).inserted }
        let writer = WriteRules.Writer(user: device.user, role: device.role) { caseID in
            try CaseAccess.mayAccess(caseID, device: device, in: db)
        }
        do {
            try WriteRules.check(checked.map { operations[$0] }, by: writer, holding: LoggedEntities(db: db, codec: codec, bodies: PlaintextBodies()),
                                 acceptedBefore: acceptedBefore)
        } catch let error as WriteRefusal {
            throw PushRefusal.refusedWrite(WriteRefusal(error.reason, index: checked[error.index], member: error.member, detail: error.detail))
        }
    }
}
