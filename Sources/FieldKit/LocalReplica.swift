import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// The laptop's replica: the encrypted operation log, the outbox of what the
/// server has not acknowledged yet, the clock and sequence state, the pull
/// cursor, and the log of reads made on the laptop. Every change is one
/// SQLite transaction, so a crash at any moment loses nothing acknowledged to
/// the user.
public final class LocalReplica: Sendable {
    let writer: any DatabaseWriter
    let vault: Vault
    let codec = OperationCodec()
    let clock: any WallClock
    public let replica: ReplicaID
    public let user: UserID

    init(writer: any DatabaseWriter, vault: Vault, replica: ReplicaID, user: UserID, clock: any WallClock) throws {
        try DurableDatabasePool.requireDurable(writer)
        self.writer = writer
        self.vault = vault
        self.replica = replica
        self.user = user
        self.clock = clock
        try LocalReplicaSchema.migrator(bodies: vault).migrate(writer)
    }

    static func open(paths: FieldPaths, vault: Vault, settings: FieldSettings, clock: any WallClock) throws -> LocalReplica {
        guard let replica = settings.replica, let user = settings.userID else {
            throw FieldError.notSetUp(paths.settings.path)
        }
        var configuration = DurableDatabasePool.configuration
        // Deleted case data is overwritten, not just unlinked from the b-tree.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let pool = try DurableDatabasePool.open(path: paths.database.path, configuration: configuration)
        return try LocalReplica(writer: pool, vault: vault, replica: replica, user: user, clock: clock)
    }

    // MARK: Writing

    /// Runs `make` with an author stamped from the stored clock and sequence
    /// number, stores what it returns (sealed) and puts it in the outbox, all in
    /// one transaction. `lookup` reads entity states inside that transaction.
    @discardableResult
    public func write(
        _ make: @Sendable (inout OperationAuthor, (EntityID) throws -> EntityState?) throws -> [SyncCore.Operation]
    ) async throws -> [SyncCore.Operation] {
        let (codec, vault, clock, replica, user) = (self.codec, self.vault, self.clock, self.replica, self.user)
        let now = clock.milliseconds()
        return try await writer.write { db in
            let stored = try ClientStateRecord.row.select(ClientStateRecord.Columns.clock, ClientStateRecord.Columns.nextSeq)
                .asRequest(of: Row.self).fetchOne(db)!
            var author = try Self.author(
                replica: replica, user: user, wallClock: clock, now: now,
                latest: HLCTimestamp(rawValue: UInt64(stored[0] as Int64)), nextSeq: UInt64(stored[1] as Int64))
            // What `make` looked up is the whole state of those entities before
            // this write: the open-conflict count below starts from it rather
            // than opening the same operations a second time (a draft's
            // autosave looks up its note, and the note's history grows).
            var looked: [EntityID: EntityState?] = [:]
            let operations = try make(&author) { id in
                if let state = looked[id] { return state }
                let state = try OperationLog.fold(StoredOperation.ofEntity(id.description), codec: codec, bodies: vault, in: db).states[id]
                looked[id] = state
                return state
            }
            // What cannot be read back is never written (the check above
            // makes this hold; it costs nothing to be sure).
            guard operations.allSatisfy(\.id.timestamp.isValid) else { throw FieldError.wrongClock(milliseconds: now) }
            // Never queue what the server would refuse: it would hold up the
            // outbox behind it for good.
            try Self.checkForms(operations, codec: codec, vault: vault, in: db)
            _ = try OperationLog.apply(operations, receivedAt: now, codec: codec, bodies: vault, in: db)
            try OpenConflictRecord.record(afterApplying: operations, entries: nil, statesBefore: looked, codec: codec, bodies: vault, in: db)
            for operation in operations {
                try OutboxRecord(seq: Int64(operation.seq), id: operation.id.description, caseID: operation.caseID.description).insert(db)
            }
            try ClientStateRecord.row.updateAll(db, [
                ClientStateRecord.Columns.clock.set(to: Int64(author.clock.latest.rawValue)),
                ClientStateRecord.Columns.nextSeq.set(to: Int64(author.nextSeq)),
            ])
            return operations
        }
    }

    /// Notes that case data was shown, for the audit log.
    public func recordRead(caseID: EntityID, entity: EntityID? = nil, what: String) async throws {
        try await recordReads(of: [caseID], entity: entity, what: what)
    }

    /// Notes that data of these cases was shown together (a list), in one
    /// transaction: a page of fifty cases is one write, not fifty.
    func recordReads(of caseIDs: [EntityID], entity: EntityID? = nil, what: String) async throws {
        guard !caseIDs.isEmpty else { return }
        let now = clock.milliseconds()
        // The server refuses a push whose reads carry such a time (400), which
        // would hold up the outbox; and a read that cannot be logged is not shown.
        guard HLCTimestamp.validMilliseconds.contains(now) else { throw FieldError.wrongClock(milliseconds: now) }
        try await writer.write { db in
            for caseID in caseIDs {
                try ReadLogRecord(at: Int64(now), caseID: caseID.description, entity: entity?.description, what: what).insert(db)
            }
        }
    }

    // MARK: Reading

    public func entity(_ id: EntityID) async throws -> EntityState? {
        try await fold(StoredOperation.ofEntity(id.description)).states[id]
    }

    public func entities(inCase caseID: EntityID) async throws -> [EntityState] {
        try await fold(StoredOperation.all().ofCase(caseID.description)).entities.filter { $0.caseID == caseID }
    }

    /// The case `id` and every entity in it (the case among them), from one
    /// read, so that they show the same moment (a sync may store between two
    /// reads); nil when `id` is not a case held here.
    public func caseAndEntities(_ id: EntityID) async throws -> (caseState: EntityState, entities: [EntityState])? {
        let fold = try await fold(StoredOperation.all().ofCase(id.description))
        guard let caseState = fold.states[id], caseState.entityType == EntityType.caseFile else { return nil }
        return (caseState, fold.entities.filter { $0.caseID == id })
    }

    /// Every case held, as merged entity states of the case entities.
    public func cases() async throws -> [EntityState] {
        try await fold(StoredOperation.all().ofCaseEntities()).entities.filter { $0.entityType == EntityType.caseFile }
    }

    /// Every case held with its next steps, and the open conflicts of each
    /// (notes included), in one read that leaves the notes closed: what the
    /// case list and the agenda show.
    func caseSummaries() async throws -> [CaseSummary] {
        let (codec, vault) = (self.codec, self.vault)
        return try await writer.read { db in
            let fold = try OperationLog.fold(
                StoredOperation.all().ofEntityTypes([EntityType.caseFile, EntityType.nextStep]), codec: codec, bodies: vault, in: db)
            let conflicts = try OpenConflictRecord.countsByCase(in: db)
            let byCase = Dictionary(grouping: fold.states.values.filter { $0.entityType != EntityType.caseFile }, by: \.caseID)
            return fold.states.values.filter { $0.entityType == EntityType.caseFile }.sorted { $0.id < $1.id }.map { caseState in
                CaseSummary(caseState: caseState, nextStepStates: byCase[caseState.id] ?? [],
                            openConflictCount: conflicts[caseState.id] ?? 0)
            }
        }
    }

    /// The cases with an open conflict, by id.
    func casesWithOpenConflicts() async throws -> [EntityID] {
        try await writer.read { db in try OpenConflictRecord.countsByCase(in: db).keys.sorted() }
    }

    /// How many conflicts are open on this laptop, in every case.
    func openConflictCount() async throws -> Int {
        try await writer.read { db in try OpenConflictRecord.total(in: db) }
    }

    private func fold(_ request: some FetchRequest<StoredOperation> & Sendable) async throws -> EntityFold {
        let (codec, vault) = (self.codec, self.vault)
        return try await writer.read { db in try OperationLog.fold(request, codec: codec, bodies: vault, in: db) }
    }

    /// Finds an entity from its id or an unambiguous prefix of at least 6 digits.
    public func resolveID(_ text: String) async throws -> EntityID {
        if let id = EntityID(text) { return id }
        let prefix = text.lowercased()
        guard prefix.count >= 6, prefix.allSatisfy(\.isHexDigit) else { throw FieldError.unknownID(text) }
        let matches = try await writer.read { db in
            try StoredEntity.filter(StoredEntity.Columns.id.like(prefix + "%")).select(StoredEntity.Columns.id, as: String.self)
                .limit(2).fetchAll(db)
        }
        guard matches.count == 1, let id = EntityID(matches[0]) else {
            throw matches.isEmpty ? FieldError.unknownID(text) : FieldError.invalidArgument("\(text) is ambiguous; give more digits")
        }
        return id
    }

    // MARK: Sync state

    public struct Status: Sendable {
        public let waitingOperations: Int
        /// The entries (cases, notes, participants, steps) those are to.
        public let waitingEntries: Int
        public let waitingReads: Int
        public let lastSyncAt: Int64?
        public let operations: Int
    }

    public func status() async throws -> Status {
        try await writer.read { db in
            let waiting = try OutboxRecord.fetchCount(db)
            // Raw SQL in the laptop's storage: the outbox joined with the log
            // (see `outbox`); only when something waits.
            var entries = 0
            if waiting > 0 {
                entries = try Int.fetchOne(db, sql: """
                    SELECT COUNT(DISTINCT operation.entity) FROM outbox JOIN operation ON operation.id = outbox.id
                    """) ?? 0
            }
            return Status(
                waitingOperations: waiting,
                waitingEntries: entries,
                waitingReads: try ReadLogRecord.fetchCount(db),
                lastSyncAt: try ClientStateRecord.row.select(ClientStateRecord.Columns.lastSyncAt, as: Int64.self).fetchOne(db),
                operations: try OperationLog.count(in: db))
        }
    }

    /// A batch to push: the oldest unacknowledged operations, in sequence
    /// order, but for those of cases and entities that wait
    /// (`SyncEngine.refusalsThatWait`), with the receipt proofs of those
    /// sent again after a restore.
    struct OutboxBatch: Sendable {
        var operations: [SyncCore.Operation] = []
        var proofs: [OperationID: String] = [:]
        /// Sent again after a restore: acknowledged once.
        var acknowledgedBefore: Set<OperationID> = []
    }

    func outbox(limit: Int, excludingCases cases: Set<EntityID> = [], entities: Set<EntityID> = []) async throws -> OutboxBatch {
        // Raw SQL in the laptop's storage: a join of the log's table with two
        // of the laptop's, which the query interface says only through
        // associations declared across SyncPersistence's and FieldKit's records.
        let rows = try await writer.read { db in
            let skippedCases = cases.map { _ in "?" }.joined(separator: ",")
            let skippedEntities = entities.map { _ in "?" }.joined(separator: ",")
            return try Row.fetchAll(db, sql: """
                SELECT operation.body, acknowledgement.id IS NOT NULL AS before, acknowledgement.proof
                FROM outbox JOIN operation ON operation.id = outbox.id
                LEFT JOIN acknowledgement ON acknowledgement.id = outbox.id
                WHERE outbox.caseID NOT IN (\(skippedCases)) AND operation.entity NOT IN (\(skippedEntities))
                ORDER BY outbox.seq LIMIT ?
                """, arguments: StatementArguments(cases.map(\.description) + entities.map(\.description)) + [limit])
        }
        var batch = OutboxBatch()
        for row in rows {
            let operation = try OperationLog.decode(try vault.open(row["body"]), codec: codec)
            batch.operations.append(operation)
            if row["before"] as Bool { batch.acknowledgedBefore.insert(operation.id) }
            if let proof: String = row["proof"] { batch.proofs[operation.id] = proof }
        }
        return batch
    }

    /// The operations in the outbox that the server acknowledged once: sent
    /// again after a restore. Other laptops may hold them, so their ids never
    /// change.
    func resentInOutbox() async throws -> Set<OperationID> {
        try await writer.read { db in
            let acknowledged = AcknowledgementRecord.select(AcknowledgementRecord.Columns.id)
            return Set(try OutboxRecord.filter(acknowledged.contains(OutboxRecord.Columns.id))
                .select(OutboxRecord.Columns.id, as: String.self).fetchAll(db).compactMap(OperationID.init))
        }
    }

    /// The cases with changes in the outbox.
    func casesInOutbox() async throws -> Set<EntityID> {
        try await writer.read { db in
            Set(try OutboxRecord.select(OutboxRecord.Columns.caseID, as: String.self).distinct().fetchAll(db).compactMap(EntityID.init))
        }
    }

    /// Gives up one operation sent again after a restore that the server now
    /// refuses for good: out of the outbox, and never put back. It stays in
    /// the laptop's history.
    func giveUp(_ id: OperationID, reason: String) async throws {
        try await writer.write { db in
            try OutboxRecord.filter(OutboxRecord.Columns.id == id.description).deleteAll(db)
            try AcknowledgementRecord.filter(AcknowledgementRecord.Columns.id == id.description)
                .updateAll(db, AcknowledgementRecord.Columns.givenUp.set(to: reason))
        }
    }

    /// Takes back a change of this laptop's that never reached the server and
    /// that the server refuses for the user's role, which changed since it
    /// was written (a supervisor's decision after a demotion): out of the
    /// log and the outbox, and the entity's open conflicts counted again, so
    /// that this laptop shows what the office holds. Nothing is lost: the
    /// operation is kept, sealed as it was, in `withdrawnOperation`. What
    /// was taken back is returned, for the report; nil if it is no longer held.
    func withdraw(_ id: OperationID, code: String) async throws -> SyncCore.Operation? {
        let (codec, vault) = (self.codec, self.vault)
        let now = clock.milliseconds()
        return try await writer.write { db in
            guard let body = try StoredOperation.filter(StoredOperation.Columns.id == id.description)
                .select(StoredOperation.Columns.body, as: Data.self).fetchOne(db)
            else { return nil }
            let operation = try OperationLog.decode(try vault.open(body), codec: codec)
            try WithdrawnOperationRecord(id: id.description, caseID: operation.caseID.description, body: body, code: code,
                                         withdrawnAt: Int64(clamping: now)).upsert(db)
            try OutboxRecord.filter(OutboxRecord.Columns.id == id.description).deleteAll(db)
            try StoredOperation.filter(StoredOperation.Columns.id == id.description).deleteAll(db)
            if let state = try OperationLog.fold(StoredOperation.ofEntity(operation.entity.description), codec: codec, bodies: vault, in: db)
                .states[operation.entity] {
                try OpenConflictRecord.record([state], in: db)
            }
            return operation
        }
    }

    /// Puts back into the outbox this device's own operations that the server
    /// acknowledged once and no longer holds (`held` is what it says it holds,
    /// Protocol.md §10.2): it was restored from a backup taken before. They are
    /// sent again as they are, ids and sequence numbers unchanged, so every
    /// replica that got them before the restore stores them once, with the
    /// proof of the receipt that acknowledged them, and marked as sent
    /// before (in the database: a sync cut short keeps the mark). Returns
    /// those that went back.
    func requeueLost(heldByServer held: [ClosedRange<UInt64>]) async throws -> Set<OperationID> {
        let replica = self.replica.description
        let held = held.sorted { $0.lowerBound < $1.lowerBound }
        // Read first: on every sync but the one after a restore nothing is
        // lost, and the write lock is not needed.
        let lost = try await writer.read { db in
            let acknowledged = try Row.fetchCursor(db, sql: """
                SELECT seq, id, caseID FROM operation
                WHERE replica = ? AND seq NOT IN (SELECT seq FROM outbox)
                AND id NOT IN (SELECT id FROM acknowledgement WHERE givenUp IS NOT NULL) ORDER BY seq
                """, arguments: [replica])
            var ranges = held[...]
            var lost: [(seq: Int64, id: String, caseID: String)] = []
            while let row = try acknowledged.next() {
                let seq = UInt64(row["seq"] as Int64)
                while let first = ranges.first, first.upperBound < seq { ranges.removeFirst() }
                if let first = ranges.first, first.contains(seq) { continue }
                lost.append((row["seq"], row["id"], row["caseID"]))
            }
            return lost
        }
        guard !lost.isEmpty else { return [] }
        // Raw SQL in the laptop's storage: INSERT … SELECT and ON CONFLICT DO
        // NOTHING have no query-interface form (GRDB's `.ignore` is INSERT OR
        // IGNORE, which would hide any other constraint failure too).
        try await writer.write { db in
            for operation in lost {
                // Still held here (a pull may have purged its case meanwhile).
                try db.execute(sql: """
                    INSERT INTO outbox (seq, id, caseID) SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM operation WHERE id = ?)
                    ON CONFLICT DO NOTHING
                    """, arguments: [operation.seq, operation.id, operation.caseID, operation.id])
                // Acknowledged by a server of an earlier version: no proof.
                try db.execute(sql: "INSERT INTO acknowledgement (id) VALUES (?) ON CONFLICT DO NOTHING", arguments: [operation.id])
            }
        }
        return Set(lost.compactMap { OperationID($0.id) })
    }

    struct PendingRead: Sendable {
        let id: Int64
        let read: PushBatch.Read
    }

    /// The oldest reads not yet uploaded, but for those of cases that wait:
    /// they would be refused (the case or entity unknown) and lost.
    func pendingReads(limit: Int, excludingCases cases: Set<EntityID> = []) async throws -> [PendingRead] {
        try await writer.read { db in
            try ReadLogRecord.filter(!cases.map(\.description).contains(ReadLogRecord.Columns.caseID))
                .order(ReadLogRecord.Columns.id).limit(limit).fetchAll(db).compactMap { read in
                    // The laptop logs reads of cases it holds, by their ids.
                    guard let caseID = EntityID(read.caseID) else { return nil }
                    return PendingRead(id: read.id ?? 0, read: PushBatch.Read(
                        at: read.at, caseID: caseID, entity: read.entity.flatMap(EntityID.init), what: read.what))
                }
        }
    }

    /// The server acknowledged these operations (with its receipt's proof of
    /// each) and reads: only now do they leave the outbox and the read log.
    func acknowledge(operations: [(id: OperationID, proof: String?)], reads: [Int64]) async throws {
        try await writer.write { db in
            for (id, proof) in operations {
                try OutboxRecord.filter(OutboxRecord.Columns.id == id.description).deleteAll(db)
                if let proof {
                    // An upsert that keeps the row's other columns: raw SQL,
                    // since GRDB's `upsert` writes a whole record.
                    try db.execute(sql: """
                        INSERT INTO acknowledgement (id, proof) VALUES (?, ?)
                        ON CONFLICT (id) DO UPDATE SET proof = excluded.proof
                        """, arguments: [id.description, proof])
                }
            }
            try ReadLogRecord.filter(reads.contains(ReadLogRecord.Columns.id)).deleteAll(db)
        }
    }

    var cursor: String? {
        get async throws {
            try await writer.read { db in try ClientStateRecord.row.select(ClientStateRecord.Columns.cursor, as: String.self).fetchOne(db) }
        }
    }

    /// Stores a pulled page, deletes the cases the user lost, and only then
    /// moves the cursor: one transaction. Returns, for each deleted case
    /// that had changes of this laptop's that never reached the server, how
    /// many of its entries (notes, participants, steps) they were to.
    @discardableResult
    func storePulled(_ operations: [SyncCore.Operation], removedCases: [EntityID], cursor: String) async throws -> [EntityID: Int] {
        let (codec, vault) = (self.codec, self.vault)
        let now = clock.milliseconds()
        return try await writer.write { db in
            // The same whitelist as the server's: a page with an operation
            // outside it (from a server of another version, or one that
            // stored it before the rules) is refused whole. What is held
            // already (this laptop's own operations, a page pulled again)
            // was checked when it was first stored.
            let held = try OperationLog.heldIDs(among: operations.map(\.id), in: db)
            try Self.checkForms(operations.filter { !held.contains($0.id) }, values: false, codec: codec, vault: vault, in: db)
            let entries = try OperationLog.apply(operations, receivedAt: now, codec: codec, bodies: vault, in: db)
            try OpenConflictRecord.record(afterApplying: operations, entries: entries, codec: codec, bodies: vault, in: db)
            var latest = try ClientStateRecord.clock(in: db)
            var clock = HybridLogicalClock(latest: latest)
            for operation in operations { clock.observe(operation.id.timestamp, physical: now) }
            latest = clock.latest
            var unsent: [EntityID: Int] = [:]
            for caseID in removedCases {
                // Counted as what a person wrote (a note, a participant), not as operations.
                let waiting = try Int.fetchOne(db, sql: """
                    SELECT COUNT(DISTINCT operation.entity) FROM outbox JOIN operation ON operation.id = outbox.id WHERE outbox.caseID = ?
                    """, arguments: [caseID.description]) ?? 0
                if waiting > 0 { unsent[caseID] = waiting }
                try Self.purge(caseID: caseID, in: db)
            }
            try ClientStateRecord.row.updateAll(db, [
                ClientStateRecord.Columns.clock.set(to: Int64(latest.rawValue)), ClientStateRecord.Columns.cursor.set(to: cursor),
            ])
            return unsent
        }
    }

    func markSynced() async throws {
        let now = Int64(clock.milliseconds())
        try await writer.write { db in _ = try ClientStateRecord.row.updateAll(db, ClientStateRecord.Columns.lastSyncAt.set(to: now)) }
    }

    /// The write rules' form checks (`WriteRules.checkForms`) against what this
    /// laptop holds. Roles are the server's to check: it alone knows them.
    static func checkForms(
        _ operations: [SyncCore.Operation], values: Bool = true, codec: OperationCodec, vault: Vault, in db: Database
    ) throws {
        do {
            try WriteRules.checkForms(operations, holding: LoggedEntities(db: db, codec: codec, bodies: vault), values: values)
        } catch let error as WriteRefusal {
            let operation = operations[error.index]
            throw FieldError.refusedOperation("\(operation.kindName) \(operation.id) of case \(operation.caseID): \(error.detail) (\(error.code))")
        }
    }

    // MARK: Device token

    /// The device token, opened with the vault key; nil when none is stored.
    func deviceToken() throws -> String? {
        let sealed = try writer.read { db in
            try ClientStateRecord.row.select(ClientStateRecord.Columns.sealedToken, as: Data.self).fetchOne(db)
        }
        return try sealed.map(vault.openToken)
    }

    /// Replaces the stored device token, sealed.
    func storeDeviceToken(_ token: String) throws {
        let sealed = try vault.sealToken(token)
        try writer.write { db in try ClientStateRecord.row.updateAll(db, ClientStateRecord.Columns.sealedToken.set(to: sealed)) }
    }

    /// The device token is stored with the new sequence in one transaction: a
    /// laptop never holds a token for one device and the numbering of another.
    func startNewDevice(token: String) async throws {
        let sealed = try vault.sealToken(token)
        try await writer.write { db in
            try ClientStateRecord.row.updateAll(db, [
                ClientStateRecord.Columns.nextSeq.set(to: 1), ClientStateRecord.Columns.cursor.set(to: nil),
                ClientStateRecord.Columns.sealedToken.set(to: sealed),
            ])
        }
    }

    /// Deletes a case for good: its operations, its unsent changes and its read log.
    static func purge(caseID: EntityID, in db: Database) throws {
        let id = caseID.description
        // The case's entities as the entity table files them, before it forgets
        // them: an entity whose first stored operation named another case is
        // counted under its own.
        try OpenConflictRecord.filter(
            StoredEntity.filter(StoredEntity.Columns.caseID == id).select(StoredEntity.Columns.id).contains(OpenConflictRecord.Columns.entity)
        ).deleteAll(db)
        try OperationLog.deleteCase(caseID, in: db)
        try OutboxRecord.filter(OutboxRecord.Columns.caseID == id).deleteAll(db)
        try ReadLogRecord.filter(ReadLogRecord.Columns.caseID == id).deleteAll(db)
        try OpenConflictRecord.filter(OpenConflictRecord.Columns.caseID == id).deleteAll(db)
        let held = StoredOperation.select(StoredOperation.Columns.id)
        try AcknowledgementRecord.filter(!held.contains(AcknowledgementRecord.Columns.id)).deleteAll(db)
    }
}
