import Crypto
import Foundation
import GRDB
import HummingbirdBcrypt
import SyncCore

/// The device an authenticated request comes from.
public struct AuthenticatedDevice: Sendable, Hashable {
    public let replica: ReplicaID
    public let user: UserID
    public let role: UserRole
}

public struct UserSummary: Sendable, Hashable {
    public let name: String
    public let role: UserRole
    public let createdAt: Int64
    public let removedAt: Int64?
}

public struct DeviceSummary: Sendable, Hashable {
    public let replica: String
    public let user: String
    public let name: String
    public let createdAt: Int64
    public let lastSeenAt: Int64?
    public let revokedAt: Int64?
}

public enum AccountError: Error, CustomStringConvertible, Equatable {
    case invalidUserName(String)
    case userExists(String)
    /// The new name differs from an existing one only by case, punctuation or
    /// look-alike characters (`UserName.skeleton`).
    case userTooSimilar(String, existing: String)
    case noSuchUser(String)
    case noSuchDevice(String)
    /// Why `PasswordPolicy` refused the password.
    case weakPassword(String)
    case invalidBcryptCost(Int)
    /// A sign-in's `resume` names no device of this server that the user
    /// may take back (Protocol.md §10.2).
    case cannotResume

    public var description: String {
        switch self {
        case .invalidUserName(let name):
            "'\(name)' is not a valid user name: use 1 to 64 characters a-z, 0-9, '.', '_', '-', starting with a letter or digit"
        case .userExists(let name): "a user named '\(name)' already exists"
        case .userTooSimilar(let name, let existing):
            "'\(name)' is too like the existing user '\(existing)': names that differ only by case, '.', '_', '-' or look-alike characters (0 and o; 1, l and i) would read as the same person in the audit log"
        case .noSuchUser(let name): "there is no user named '\(name)'"
        case .noSuchDevice(let id): "there is no device '\(id)'"
        case .weakPassword(let reason): "the password is refused: \(reason)"
        case .invalidBcryptCost(let cost):
            "the bcrypt cost must be from \(ServerDatabase.bcryptCosts.lowerBound) to \(ServerDatabase.bcryptCosts.upperBound), not \(cost)"
        case .cannotResume: "this server cannot take back the device of that earlier sign-in; sign in as a new device"
        }
    }
}

/// Bearer tokens, handed out once and stored only as SHA-256 (`RandomSecret`). A token names
/// its device and carries a MAC under the server's device token key, bound to
/// its user: `cwt_<replica>_<base64url(128 random bits, 128-bit MAC)>`. The
/// random bits make it a secret; the MAC lets a server restored from a backup
/// taken before the sign-in recognise the device again (Protocol.md §10.2,
/// `resume`), so that the laptop keeps its replica and sends again what the
/// server lost. Tokens of an earlier version (`cwt_` and 256 random bits)
/// still work; they cannot be resumed.
enum DeviceToken {
    static let prefix = "cwt_"
    static let context = Data("casework-sync device token v1".utf8)

    static func generate(for replica: ReplicaID, user: String, key: SymmetricKey) -> String {
        let nonce = SymmetricKey(size: .bits128).withUnsafeBytes { Data($0) }
        return prefix + replica.description + "_" + RandomSecret.base64URL(nonce + mac(replica: replica, nonce: nonce, user: user, key: key))
    }

    /// A token that opens nothing: for a device row whose token was given up.
    static func generate() -> String {
        prefix + RandomSecret.generate()
    }

    /// The device a token of this server names, if it was issued to `user`.
    static func replica(of token: String, user: String, key: SymmetricKey) -> ReplicaID? {
        let parts = token.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard token.hasPrefix(prefix), parts.count == 3, let replica = ReplicaID(String(parts[1])),
              let bytes = Data(base64URL: String(parts[2])), bytes.count == 32 else { return nil }
        let nonce = bytes.prefix(16)
        let expected = mac(replica: replica, nonce: Data(nonce), user: user, key: key)
        guard ConstantTime.equals(expected, bytes.suffix(16)) else { return nil }
        return replica
    }

    private static func mac(replica: ReplicaID, nonce: Data, user: String, key: SymmetricKey) -> Data {
        var message = context
        message.append(0)
        message.append(contentsOf: replica.description.utf8)
        message.append(nonce)
        message.append(contentsOf: user.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: key)).prefix(16)
    }
}

extension ServerDatabase {
    /// The costs bcrypt supports; it stops the process on any other.
    public static let bcryptCosts: ClosedRange<Int> = 4...31

    /// Adds a user under the normalised form of `name` (`UserName`), which it
    /// returns. The password must meet `PasswordPolicy`; passwords of users
    /// added before the policy keep working.
    @discardableResult
    public func addUser(_ name: String, role: UserRole, password: String, bcryptCost: Int = 12) async throws -> String {
        let name = UserName.normalized(name)
        guard UserID(name) != nil else { throw AccountError.invalidUserName(name) }
        guard Self.bcryptCosts.contains(bcryptCost) else { throw AccountError.invalidBcryptCost(bcryptCost) }
        // bcrypt reads a password up to a NUL byte and no further than 72
        // bytes: what it ignores must not make a weak password look strong.
        guard !password.utf8.contains(0) else { throw AccountError.weakPassword("it contains a NUL character, which bcrypt cuts the password at") }
        let counted = String(decoding: password.utf8.prefix(72), as: UTF8.self)
        if let rejection = PasswordPolicy.check(counted, userName: name) {
            throw AccountError.weakPassword(counted == password ? rejection.description : "its first 72 bytes, all that bcrypt reads: \(rejection.description)")
        }
        // Not on a server request path: the administration command, and tests.
        let hash = Bcrypt.hash(password, cost: UInt8(bcryptCost))
        let at = now
        try await groupCommit.write { db in
            let skeleton = UserName.skeleton(name)
            // Removed users count too: their names stay in the audit log.
            for existing in try String.fetchAll(db, sql: "SELECT name FROM user") {
                if existing == name { throw AccountError.userExists(name) }
                if UserName.skeleton(existing) == skeleton { throw AccountError.userTooSimilar(name, existing: existing) }
            }
            try UserRecord(name: name, role: role, passwordHash: hash, createdAt: at, removedAt: nil).insert(db)
            try AuditLog.record(.userAdded, actor: nil, device: nil, detail: ["user": .string(name), "role": .string(role.rawValue)], at: at, in: db)
        }
        return name
    }

    /// Removes a user's access: every device of theirs must purge at its next contact.
    public func removeUser(_ name: String) async throws {
        let name = UserName.normalized(name)
        let at = now
        try await groupCommit.write { db in
            guard var user = try UserRecord.fetchOne(db, key: name) else { throw AccountError.noSuchUser(name) }
            user.removedAt = user.removedAt ?? at
            try user.update(db)
            try AuditLog.record(.userRemoved, actor: nil, device: nil, detail: ["user": .string(name)], at: at, in: db)
        }
        tokenCache.removeAll()
    }

    public func users() async throws -> [UserSummary] {
        try await writer.read { db in
            try UserRecord.order(UserRecord.Columns.name).fetchAll(db).map {
                UserSummary(name: $0.name, role: $0.role, createdAt: $0.createdAt, removedAt: $0.removedAt)
            }
        }
    }

    public func devices() async throws -> [DeviceSummary] {
        try await writer.read { db in
            try DeviceRecord.order(DeviceRecord.Columns.user, DeviceRecord.Columns.createdAt).fetchAll(db).map {
                DeviceSummary(replica: $0.replica, user: $0.user, name: $0.name, createdAt: $0.createdAt,
                              lastSeenAt: $0.lastSeenAt, revokedAt: $0.revokedAt)
            }
        }
    }

    public func revokeDevice(_ replica: String, by actor: String? = nil) async throws {
        let at = now
        try await groupCommit.write { db in
            guard var device = try DeviceRecord.fetchOne(db, key: replica) else { throw AccountError.noSuchDevice(replica) }
            device.revokedAt = device.revokedAt ?? at
            try device.update(db)
            try AuditLog.record(.deviceRevoked, actor: actor, device: replica, detail: ["user": .string(device.user)], at: at, in: db)
        }
        tokenCache.removeAll()
    }

    /// How long a running server may still accept a token that another
    /// process (the administration commands) has just revoked.
    public static var tokenCheckLifetime: Duration { TokenCache.lifetime }

    /// Checks the password and registers a new device for the user. Returns nil
    /// (and logs a failed login) when the name or password is wrong; throws
    /// `SignInRefusal.busy` when too many passwords are being checked.
    ///
    /// With `resume`, the device's earlier token: the same device is
    /// registered again under it (its replica and token unchanged), for a
    /// server restored from a backup taken before that device signed in.
    /// `resumeRefusal` says beforehand whether that is possible.
    public func registerDevice(
        user name: String, password: String, deviceName: String, resume: String? = nil
    ) async throws -> (device: AuthenticatedDevice, token: String)? {
        let name = UserName.normalized(name)
        let at = now
        guard let user = try await verifiedUser(name, password: password), let userID = UserID(user.name) else {
            try await recordAudit(.loginFailed, actor: UserID(name) != nil ? name : nil, device: nil,
                                  detail: ["deviceName": .string(String(deviceName.prefix(100)))])
            return nil
        }
        let key = deviceTokenKey
        var random = SystemRandomSource()
        let resumed = resume.flatMap { DeviceToken.replica(of: $0, user: user.name, key: key) }
        let replica = resumed ?? ReplicaID(using: &random)
        let token = resumed != nil ? resume! : DeviceToken.generate(for: replica, user: user.name, key: key)
        try await groupCommit.write { db in
            if resumed != nil, let existing = try DeviceRecord.fetchOne(db, key: replica.description) {
                // Already known (an answer to an earlier resume was lost):
                // only the very same live token passes.
                guard existing.tokenHash == RandomSecret.hash(token), existing.revokedAt == nil, existing.user == user.name else {
                    throw AccountError.cannotResume
                }
            } else {
                try DeviceRecord(
                    replica: replica.description, user: user.name, name: deviceName, tokenHash: RandomSecret.hash(token),
                    createdAt: at, lastSeenAt: at, revokedAt: nil
                ).insert(db)
            }
            var detail: [String: JSONValue] = ["deviceName": .string(deviceName)]
            if resumed != nil { detail["resumed"] = true }
            try AuditLog.record(.login, actor: user.name, device: replica.description, detail: .object(detail), at: at, in: db)
        }
        return (AuthenticatedDevice(replica: replica, user: userID, role: user.role), token)
    }

    /// Why `resume` cannot register its device again for `user`, or nil if it
    /// can: checked before the password, so that a refusal costs no guess.
    public func resumeRefusal(_ resume: String, user name: String) async throws -> AccountError? {
        let name = UserName.normalized(name)
        // One answer for every refusal: it must not tell whose a token is,
        // or whether that device was revoked, to whoever holds an old one.
        guard let replica = DeviceToken.replica(of: resume, user: name, key: deviceTokenKey) else { return .cannotResume }
        let existing = try await writer.read { db in try DeviceRecord.fetchOne(db, key: replica.description) }
        guard let existing else { return nil }
        if existing.tokenHash == RandomSecret.hash(resume), existing.revokedAt == nil, existing.user == name { return nil }
        return .cannotResume
    }

    /// The user, if the name (in any spelling `UserName.normalized` maps to
    /// it) and password are right and the user was not removed. Shared by
    /// device sign-in and the review pages' sign-in, so that both check
    /// passwords the same way.
    func verifiedUser(_ name: String, password: String) async throws -> UserRecord? {
        let name = UserName.normalized(name)
        let user = try await writer.read { db in try UserRecord.fetchOne(db, key: name) }
        // Verify against a dummy hash for unknown users too, so that the timing
        // does not tell which user names exist.
        let hash = user?.passwordHash ?? "$2b$12$C6UzMDM.H6dfI/f/IKxGhuCsm7cLhIbcuEsvBK8JFb5XojIu3kOfK"
        let passwordMatches = try await passwordVerifier.verify(password, hash: hash)
        guard let user, user.removedAt == nil, passwordMatches else { return nil }
        return user
    }

    /// The device a token hash names, with its user's standing.
    private struct TokenHolder: Decodable, FetchableRecord, Sendable {
        var replica: String
        var lastSeenAt: Int64?
        var revokedAt: Int64?
        var name: String
        var role: UserRole
        var removedAt: Int64?
    }

    public enum TokenCheck: Sendable, Equatable {
        case valid(AuthenticatedDevice)
        case unknown
        /// Revoked device or removed user: the client must purge.
        case purge(String)
    }

    public func authenticate(token: String) async throws -> TokenCheck {
        let hash = RandomSecret.hash(token)
        if let device = tokenCache.device(for: hash) { return .valid(device) }
        // Every request passes here: one prepared statement, kept per connection.
        let found = try await writer.read { db -> TokenHolder? in
            let statement = try db.cachedStatement(sql: """
                SELECT device.replica, device.lastSeenAt, device.revokedAt, user.name, user.role, user.removedAt
                FROM device JOIN user ON user.name = device.user WHERE device.tokenHash = ?
                """)
            return try TokenHolder.fetchOne(statement, arguments: [hash])
        }
        guard let found else { return .unknown }
        let (replicaText, userName, revokedAt, removedAt, lastSeenAt) =
            (found.replica, found.name, found.revokedAt, found.removedAt, found.lastSeenAt)
        let at = now
        if revokedAt != nil || removedAt != nil {
            try await recordAudit(.refusedPurgedDevice, actor: userName, device: replicaText)
            return .purge(revokedAt != nil
                ? "this device was revoked; delete all case data on it"
                : "the user \(userName) was removed; delete all case data on this device")
        }
        guard let replica = ReplicaID(replicaText), let userID = UserID(userName) else { return .unknown }
        let role = found.role
        // Last-seen is informational: one write a minute per device is plenty,
        // and reads stay free of the write lock.
        if (lastSeenAt ?? 0) < at - 60_000 {
            try await groupCommit.write { db in
                try db.execute(sql: "UPDATE device SET lastSeenAt = ? WHERE replica = ?", arguments: [at, replicaText])
            }
        }
        let device = AuthenticatedDevice(replica: replica, user: userID, role: role)
        tokenCache.remember(device, for: hash)
        return .valid(device)
    }

    /// Logs the device out: its token stops working. Unlike a revocation, the
    /// laptop keeps its (encrypted) data; the user may log in again.
    public func logout(_ device: AuthenticatedDevice) async throws {
        let at = now
        try await groupCommit.write { db in
            try db.execute(sql: "UPDATE device SET tokenHash = ? WHERE replica = ?",
                           arguments: [RandomSecret.hash(DeviceToken.generate()), device.replica.description])
            try AuditLog.record(.logout, actor: device.user.name, device: device.replica.description, at: at, in: db)
        }
        tokenCache.removeAll()
    }
}
