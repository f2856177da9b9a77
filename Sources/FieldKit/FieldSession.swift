import Foundation
import SyncCore
import SyncPersistence

/// An opened laptop: its paths, settings, unlocked vault and local replica.
public struct FieldSession: Sendable {
    public let paths: FieldPaths
    public private(set) var settings: FieldSettings
    public let replica: LocalReplica
    let token: String?
    /// What opening repaired of an earlier version's broken-clock stamps,
    /// to tell the user once (the repair leaves nothing to repair again).
    public var clockRepair: LocalReplica.ClockRepair? = nil
    /// The key kept by `field unlock` that opened the data, if that is how it
    /// was opened: a long-running user (the app) lets go of the data once
    /// that key is gone.
    var keptKey: UnlockedKey? = nil

    /// Where the key comes from: a key file (`--key-file` or FIELD_KEY_FILE),
    /// else FIELD_PASSPHRASE, else a prompt on the terminal.
    public static func secret(
        keyFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        prompt: () -> String? = { nil }
    ) throws -> Vault.Secret {
        if let path = keyFile ?? environment["FIELD_KEY_FILE"], !path.isEmpty { return .keyFile(path) }
        if let passphrase = environment["FIELD_PASSPHRASE"] { return .passphrase(passphrase) }
        if let entered = prompt(), !entered.isEmpty { return .passphrase(entered) }
        throw FieldError.noPassphrase
    }

    /// Opens the local data; fails without changing anything on a wrong secret.
    /// A key held unlocked by `unlock` is used without asking for the secret.
    public static func open(
        paths: FieldPaths, secret: () throws -> Vault.Secret, clock: any WallClock = SystemWallClock(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> FieldSession {
        restrictNewFiles()
        guard let settings = try FieldSettings.load(from: paths),
              FileManager.default.fileExists(atPath: paths.vaultHeader.path)
        else { throw FieldError.notSetUp(paths.data.path) }
        let unlocked = try? UnlockedKey.location(for: paths, environment: environment)
        let kept = try unlocked?.load(now: clock.milliseconds()).flatMap { try Vault.open(key: $0, at: paths.vaultHeader) }
        let vault = try kept ?? Vault.open(secret: try secret(), at: paths.vaultHeader)
        let replica = try LocalReplica.open(paths: paths, vault: vault, settings: settings, clock: clock)
        let repair = try replica.repairClockDamage()
        return FieldSession(paths: paths, settings: settings, replica: replica, token: try sealLegacyPlainToken(paths, into: replica),
                            clockRepair: repair, keptKey: kept == nil ? nil : unlocked)
    }

    /// Whether the laptop holds case data at `paths`: false once a sync
    /// deleted it (revoked), in this process or another.
    public static func holdsData(paths: FieldPaths) -> Bool {
        FileManager.default.fileExists(atPath: paths.vaultHeader.path) && FileManager.default.fileExists(atPath: paths.settings.path)
    }

    /// Whether the data this session opened is still there (see `holdsData`).
    public var isDataStillHeld: Bool { Self.holdsData(paths: paths) }

    /// Whether the data was opened with the key kept by `field unlock`.
    public var isOpenedWithKeptKey: Bool { keptKey != nil }

    /// False once the key kept by `field unlock` that opened the data is no
    /// longer kept: forgotten (`field lock`, `field logout`), expired, or
    /// replaced by another. Always true for data opened otherwise. Whoever
    /// keeps the session open for long (the app) asks before each use, so
    /// that `field lock` locks it too.
    /// A key file that cannot be read just now (`read` fails: no file
    /// descriptor left, an interrupted call) is still held: the app stays open.
    public func isKeptKeyStillHeld(read: (URL) throws -> Data = { try Data(contentsOf: $0) }) -> Bool {
        guard let keptKey else { return true }
        switch keptKey.lookup(now: replica.clock.milliseconds(), read: read) {
        case .key(let held): return held == replica.vault.key
        case .none: return false
        case .unreadableNow: return true
        }
    }

    /// Forgets the key kept by `field unlock` that opened the data, if one did.
    public func forgetKeptKey() {
        keptKey?.forget()
    }

    /// The device token, sealed in the vault. A token that an earlier `field`
    /// left in a plain file is sealed first and the file deleted: it is the
    /// most recent sign-in, since this version never writes one.
    static func sealLegacyPlainToken(_ paths: FieldPaths, into replica: LocalReplica) throws -> String? {
        if let plain = FieldSettings.loadLegacyPlainToken(from: paths) {
            if !plain.isEmpty { try replica.storeDeviceToken(plain) }
            try FieldSettings.deleteSecretFile(paths.legacyPlainToken)
        }
        // A write of the plain file that an earlier `field` left half done.
        let halfWritten = paths.legacyPlainToken.appendingPathExtension("tmp")
        if FileManager.default.fileExists(atPath: halfWritten.path) { try FieldSettings.deleteSecretFile(halfWritten) }
        return try replica.deviceToken()
    }

    var connection: ServerConnection { ServerConnection(baseURL: settings.server, token: token, caFile: settings.caFile) }

    /// Signs in: registers this laptop with the server, and on first use creates
    /// the encrypted local store under the given secret. `caFile` is the
    /// municipality's CA certificate when the server's certificate is not
    /// signed by one the system trusts; it is kept for later syncs.
    ///
    /// Everything that can be refused without the server (the address, the CA
    /// file, a weak new passphrase) is refused before the password is sent.
    public static func login(
        paths: FieldPaths, server: String, user: String, password: String, deviceName: String, caFile: String? = nil,
        secret: () throws -> Vault.Secret, clock: any WallClock = SystemWallClock()
    ) async throws -> FieldSession {
        restrictNewFiles()
        let server = try ServerAddress(server).url
        let caFile = caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if let caFile { _ = try ServerConnection.tlsConfiguration(trusting: caFile) }
        if let existing = try FieldSettings.load(from: paths), existing.user != user,
           FileManager.default.fileExists(atPath: paths.database.path) {
            throw FieldError.invalidArgument("this laptop holds \(existing.user)'s data; \(existing.user) must run field logout first")
        }
        // Asked once, however many times it is needed below.
        var given: Vault.Secret?
        func secretOnce() throws -> Vault.Secret {
            if let given { return given }
            let entered = try secret()
            given = entered
            return entered
        }
        if !FileManager.default.fileExists(atPath: paths.vaultHeader.path), case .passphrase(let passphrase) = try secretOnce() {
            try requireStrongPassphrase(passphrase, user: user)
        }
        try paths.createDirectories()
        // Signing in again with data here: the same device if the server can
        // take it back (`resume`, Protocol.md §10.2: a server restored from a
        // backup taken before this laptop signed in), else a new one, which
        // only an empty outbox may start.
        var previous: (settings: FieldSettings, token: String?, waiting: Int)?
        if FileManager.default.fileExists(atPath: paths.vaultHeader.path), let existing = try FieldSettings.load(from: paths) {
            let opened = try open(paths: paths, secret: secretOnce, clock: clock)
            previous = (existing, opened.token, try await opened.replica.status().waitingOperations)
        }
        // An existing store is unlocked before anything else, so a wrong
        // passphrase stops here; a new one is created only once the server said yes.
        let secretValue = try secretOnce()
        let existingVault = FileManager.default.fileExists(atPath: paths.vaultHeader.path)
            ? try Vault.open(secret: secretValue, at: paths.vaultHeader) : nil
        let signIn = DeviceSignIn(user: user, password: password, deviceName: deviceName)
        let connection = ServerConnection(baseURL: server, token: nil, caFile: caFile)
        var reply: ServerConnection.Reply?
        // Only to the server that gave the token: another (a training server,
        // a mistyped address) must never see it.
        var resumed = false
        if let previous, let token = previous.token, previous.settings.server == server {
            var resuming = signIn
            resuming.resume = token
            let answer = try await connection.exchange(.post, "/v1/devices", body: resuming.encoded())
            if let refusal = answer.refusal {
                guard answer.problemCode == "cannot-resume" || answer.problemCode == "unknown-member" else { throw refusal }
                guard previous.waiting == 0 else {
                    throw FieldError.invalidArgument("""
                        the server cannot take back this laptop's earlier sign-in (\(answer.problem?.detail ?? "no detail")), \
                        and \(previous.waiting) changes made under it have not reached the server; they are kept on this laptop: ask your IT support
                        """)
                }
            } else {
                reply = answer
                resumed = true
            }
        } else if let previous, previous.waiting > 0 {
            throw FieldError.invalidArgument("\(previous.waiting) changes of \(previous.settings.user)'s previous sign-in have not reached the server; run field sync first")
        }
        let answer: ServerConnection.Reply
        if let reply { answer = reply } else { answer = try await connection.call(.post, "/v1/devices", body: signIn.encoded()) }
        let signedIn = try answer.decoded(DeviceSignInAnswer.decode)
        let (token, device, role) = (signedIn.token, signedIn.device.description, signedIn.role)
        let vault = try existingVault ?? Vault.create(secret: secretValue, at: paths.vaultHeader)
        // The CA is copied beside the settings, readable by this user only: a
        // file elsewhere could be swapped by whoever else may write there.
        var keptCA: String?
        if let caFile {
            try FieldSettings.writePrivate(try Data(contentsOf: URL(fileURLWithPath: caFile)), to: paths.caCertificates)
            keptCA = paths.caCertificates.path
        }
        let settings = FieldSettings(server: server, user: user, role: role, device: device, caFile: keptCA)
        try settings.save(to: paths)
        let replica = try LocalReplica.open(paths: paths, vault: vault, settings: settings, clock: clock)
        if resumed, previous?.settings.device == device {
            // The same device: its sequence goes on, and its next sync sends
            // again what the server lacks of it.
            try replica.storeDeviceToken(token)
        } else {
            // A new device starts its own sequence and pulls everything afresh.
            try await replica.startNewDevice(token: token)
        }
        if FileManager.default.fileExists(atPath: paths.legacyPlainToken.path) {
            try FieldSettings.deleteSecretFile(paths.legacyPlainToken)
        }
        return FieldSession(paths: paths, settings: settings, replica: replica, token: token)
    }

    /// A passphrase chosen for a new vault must meet `PasswordPolicy`: scrypt
    /// slows each guess at a copied laptop, but not enough to save one of the
    /// passwords every attacker tries first. An existing vault opens with the
    /// passphrase it has.
    static func requireStrongPassphrase(_ passphrase: String, user: String) throws {
        if let rejection = PasswordPolicy.check(passphrase, userName: user) {
            throw FieldError.invalidArgument("choose another passphrase for the local data: \(rejection)")
        }
    }

    /// Signs out and deletes the local case data. Refused while changes wait to
    /// be pushed: they would be lost.
    public func logout() async throws {
        let waiting = try await replica.status().waitingOperations
        guard waiting == 0 else {
            throw FieldError.invalidArgument("\(waiting) changes have not reached the server yet; run field sync first")
        }
        if token != nil { _ = try? await connection.call(.delete, "/v1/devices/current") }
        try Self.deleteLocalData(paths)
    }

    /// Checks the secret and keeps the key unlocked for `duration` milliseconds,
    /// in memory-backed storage only (see `UnlockedKey`). Returns the expiry.
    public static func unlock(
        paths: FieldPaths, secret: () throws -> Vault.Secret, for duration: UInt64, clock: any WallClock = SystemWallClock(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> UInt64 {
        guard FileManager.default.fileExists(atPath: paths.vaultHeader.path) else { throw FieldError.notSetUp(paths.data.path) }
        let unlocked = try UnlockedKey.location(for: paths, environment: environment)
        let vault = try Vault.open(secret: try secret(), at: paths.vaultHeader)
        let expiry = clock.milliseconds() + duration
        try unlocked.store(vault.key, until: expiry)
        return expiry
    }

    /// Forgets a key kept by `unlock`. Returns whether one was held.
    @discardableResult
    public static func lock(paths: FieldPaths, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let unlocked = try? UnlockedKey.location(for: paths, environment: environment),
              FileManager.default.fileExists(atPath: unlocked.url.path)
        else { return false }
        unlocked.forget()
        return true
    }

    /// Deletes every file of case data, the token and the settings, and
    /// forgets an unlocked key.
    public static func deleteLocalData(_ paths: FieldPaths) throws {
        lock(paths: paths)
        for url in [paths.database, paths.database.appendingPathExtension("wal"), URL(fileURLWithPath: paths.database.path + "-wal"),
                    URL(fileURLWithPath: paths.database.path + "-shm"), paths.vaultHeader, paths.legacyPlainToken,
                    paths.legacyPlainToken.appendingPathExtension("tmp"), paths.caCertificates, paths.settings]
        where FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    /// Pushes and pulls. When the server says this laptop may no longer hold
    /// case data, `beforeDeleting` runs before the files go (a long-running
    /// user lets go of the session first), then everything is deleted and
    /// `FieldError.purged` thrown.
    public func sync(
        progress: @escaping SyncEngine.Progress = { _, _, _ in }, beforeDeleting: @Sendable () async -> Void = {}
    ) async throws -> SyncEngine.Report {
        guard token != nil else { throw FieldError.notLoggedIn }
        do {
            var engine = SyncEngine(replica: replica, connection: connection)
            // The role the server holds now decides what this laptop offers
            // (the settle form, sharing): a demotion since `field login` holds
            // from the moment the server says so, whatever becomes of the sync.
            let (device, paths) = (settings.device, paths)
            // A settings file that cannot be written now is no reason to stop
            // the sync: the next one says the role again.
            engine.roleSeen = { role in try? FieldSettings.adoptRole(role, device: device, at: paths) }
            return try await engine.run(progress: progress)
        } catch FieldError.purged(let reason) {
            await beforeDeleting()
            try Self.deleteLocalData(paths)
            throw FieldError.purged(reason)
        }
    }
}

/// Files the client creates (the database, its WAL) are readable by the owner
/// only, whatever the user's umask.
func restrictNewFiles() {
    umask(0o077)
}

extension SyncEngine {
    /// An engine for the session (or another server), for tests that tune retries.
    public static func forTesting(_ session: FieldSession, server: String? = nil) -> SyncEngine {
        SyncEngine(replica: session.replica,
                   connection: ServerConnection(baseURL: server ?? session.settings.server, token: session.token,
                                                caFile: session.settings.caFile))
    }
}

extension FieldSession {
    /// A case and its entities, from an id or a prefix of it, for a check:
    /// the read is not logged. What is shown comes from `openCase`.
    public func caseView(_ text: String) async throws -> CaseView {
        try await loadCase(try await replica.resolveID(text), named: text)
    }

    /// The case `id` and its entities; `text` is how the caller named it, for
    /// the error. A deleted case (a tombstone an earlier version may hold) is
    /// refused like a missing one.
    func loadCase(_ id: EntityID, named text: String? = nil) async throws -> CaseView {
        guard let (caseState, entities) = try await replica.caseAndEntities(id), !caseState.isDeleted else {
            throw FieldError.notACase(text ?? id.description)
        }
        return CaseView(caseState: caseState, entities: entities)
    }

    /// Membership and resolutions are for supervisors and admins; the server
    /// enforces it, this only says so before anything is written.
    public func requireMembershipRole() throws {
        try settings.requireMembershipRole()
    }

    /// This session with the role its settings file holds now: a sync
    /// records there the role the server holds (see `sync`).
    public func reloadingRole() -> FieldSession {
        guard let saved = try? FieldSettings.load(from: paths), saved.device == settings.device, saved.role != settings.role else { return self }
        var reloaded = self
        reloaded.settings.role = saved.role
        return reloaded
    }
}

extension LocalReplica {
    /// Creates an entity with its first field values and set elements, in one
    /// transaction; returns its id. A case is created with `caseID` nil.
    public func createEntity(
        _ type: String, inCase caseID: EntityID?, fields: [(String, JSONValue)], elements: [(String, JSONValue)] = []
    ) async throws -> EntityID {
        try await write { author, _ in try Self.creation(type, inCase: caseID, fields: fields, elements: elements, by: &author) }[0].entity
    }

    /// Creates an entity in a case, checking in the same transaction that
    /// the case is there.
    func createEntity(_ type: String, inExistingCase caseID: EntityID, fields: [(String, JSONValue)]) async throws -> EntityID {
        try await write { author, lookup in
            guard try lookup(caseID)?.entityType == EntityType.caseFile else { throw FieldError.notACase(caseID.description) }
            return try Self.creation(type, inCase: caseID, fields: fields, elements: [], by: &author)
        }[0].entity
    }

    /// The operations that create an entity with its first values.
    static func creation(
        _ type: String, inCase caseID: EntityID?, fields: [(String, JSONValue)], elements: [(String, JSONValue)],
        by author: inout OperationAuthor
    ) throws -> [SyncCore.Operation] {
        var random = SystemRandomSource()
        let created = author.create(type, inCase: caseID, using: &random)
        var state = EntityState(id: created.entity)
        state.apply(created)
        return [created] + (try change(&state, fields: fields, elements: elements, by: &author))
    }

    /// Creates a next step with `fields` and names it the case's current next
    /// step, in one transaction (`OperationAuthor.createNextStep`). The case is
    /// read inside the transaction, so the step replaces the value this
    /// laptop holds now.
    func createNextStep(inCase caseID: EntityID, fields: [(String, JSONValue)]) async throws -> EntityID {
        try await write { author, lookup in
            guard let caseState = try lookup(caseID), caseState.entityType == EntityType.caseFile else {
                throw FieldError.notACase(caseID.description)
            }
            var random = SystemRandomSource()
            return try author.createNextStep(fields, in: caseState, using: &random)
        }[0].entity
    }

    /// Sets `fields` and adds set `elements` on `state`, each operation
    /// authored on the state the one before it left.
    private static func change(
        _ state: inout EntityState, fields: [(String, JSONValue)], elements: [(String, JSONValue)], by author: inout OperationAuthor
    ) throws -> [SyncCore.Operation] {
        var operations: [SyncCore.Operation] = []
        for (field, value) in fields {
            let operation = try author.set(field, to: value, on: state)
            state.apply(operation)
            operations.append(operation)
        }
        for (field, element) in elements {
            let operation = try author.add(element, to: field, on: state)
            state.apply(operation)
            operations.append(operation)
        }
        return operations
    }
}
