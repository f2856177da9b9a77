import Foundation
import SyncCore
import SyncPersistence

/// An opened laptop: its paths, settings, unlocked vault and local replica.
public struct FieldSession: Sendable {
    public let paths: FieldPaths
    public let settings: FieldSettings
    public let replica: LocalReplica
    let token: String?

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
    public static func open(paths: FieldPaths, secret: () throws -> Vault.Secret, clock: any WallClock = SystemWallClock()) throws -> FieldSession {
        restrictNewFiles()
        guard let settings = try FieldSettings.load(from: paths),
              FileManager.default.fileExists(atPath: paths.vaultHeader.path)
        else { throw FieldError.notSetUp(paths.data.path) }
        let vault = try Vault.open(secret: try secret(), at: paths.vaultHeader)
        let replica = try LocalReplica.open(paths: paths, vault: vault, settings: settings, clock: clock)
        return FieldSession(paths: paths, settings: settings, replica: replica, token: FieldSettings.loadToken(from: paths))
    }

    var connection: ServerConnection { ServerConnection(baseURL: settings.server, token: token) }

    /// Signs in: registers this laptop with the server, and on first use creates
    /// the encrypted local store under the given secret.
    public static func login(
        paths: FieldPaths, server: String, user: String, password: String, deviceName: String,
        secret: () throws -> Vault.Secret, clock: any WallClock = SystemWallClock()
    ) async throws -> FieldSession {
        restrictNewFiles()
        let server = server.hasSuffix("/") ? String(server.dropLast()) : server
        guard let url = URL(string: server), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw FieldError.invalidArgument("--server must be a URL such as http://sync.example:8080, not '\(server)'")
        }
        if let existing = try FieldSettings.load(from: paths), existing.user != user,
           FileManager.default.fileExists(atPath: paths.database.path) {
            throw FieldError.invalidArgument("this laptop holds \(existing.user)'s data; \(existing.user) must run field logout first")
        }
        try paths.createDirectories()
        if FileManager.default.fileExists(atPath: paths.vaultHeader.path), let existing = try FieldSettings.load(from: paths) {
            let waiting = try await open(paths: paths, secret: secret, clock: clock).replica.status().waitingOperations
            guard waiting == 0 else {
                throw FieldError.invalidArgument("\(waiting) changes of \(existing.user)'s previous sign-in have not reached the server; run field sync first")
            }
        }
        let vault: Vault
        let secretValue = try secret()
        if FileManager.default.fileExists(atPath: paths.vaultHeader.path) {
            vault = try Vault.open(secret: secretValue, at: paths.vaultHeader)
        } else {
            vault = try Vault.create(secret: secretValue, at: paths.vaultHeader)
        }
        let reply = try await ServerConnection(baseURL: server, token: nil).call(
            .post, "/v1/devices", json: ["user": .string(user), "password": .string(password), "deviceName": .string(deviceName)])
        guard let token = reply.body.member("token")?.stringValue, let device = reply.body.member("device")?.stringValue,
              let role = reply.body.member("role")?.stringValue
        else { throw FieldError.serverRefused(status: reply.status, code: "bad-answer", detail: "the sign-in answer was incomplete") }
        let settings = FieldSettings(server: server, user: user, role: role, device: device)
        try settings.save(to: paths)
        try FieldSettings.saveToken(token, to: paths)
        let replica = try LocalReplica.open(paths: paths, vault: vault, settings: settings, clock: clock)
        // A new device starts its own sequence and pulls everything afresh.
        try await replica.startNewDevice()
        return FieldSession(paths: paths, settings: settings, replica: replica, token: token)
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

    /// Deletes every file of case data, the token and the settings.
    public static func deleteLocalData(_ paths: FieldPaths) throws {
        for url in [paths.database, paths.database.appendingPathExtension("wal"), URL(fileURLWithPath: paths.database.path + "-wal"),
                    URL(fileURLWithPath: paths.database.path + "-shm"), paths.vaultHeader, paths.token, paths.settings]
        where FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.removeItem(at: url)
        }
    }

    public func sync(progress: @escaping SyncEngine.Progress = { _, _, _ in }) async throws -> SyncEngine.Report {
        guard token != nil else { throw FieldError.notLoggedIn }
        do {
            return try await SyncEngine(replica: replica, connection: connection).run(progress: progress)
        } catch FieldError.purged(let reason) {
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

extension LocalReplica {
    func startNewDevice() async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE clientState SET nextSeq = 1, cursor = NULL WHERE id = 1")
        }
    }
}

extension SyncEngine {
    /// An engine for the session (or another server), for tests that tune retries.
    public static func forTesting(_ session: FieldSession, server: String? = nil) -> SyncEngine {
        SyncEngine(replica: session.replica,
                   connection: ServerConnection(baseURL: server ?? session.settings.server, token: session.token))
    }
}
