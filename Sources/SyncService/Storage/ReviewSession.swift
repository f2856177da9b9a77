import Foundation
import GRDB
import SyncCore

/// A supervisor's or admin's signed-in browser.
///
/// The browser holds a random 256-bit session id in a cookie; the server keeps
/// only its SHA-256, so a copy of the database does not sign anyone in. Each
/// session has its own device (replica) row, named "review (browser)", under
/// which the resolutions and handovers made in that browser are written: their
/// author and device are honest, and their sequence numbers are contiguous.
public struct ReviewSession: Sendable, Hashable {
    public let user: UserID
    public let role: UserRole
    /// The replica that authors this browser's operations.
    public let replica: ReplicaID
    /// Every form of the session carries this token; a POST without it is refused.
    public let csrfToken: String
    public let expiresAt: Int64

    /// The session as the push path sees a device.
    var device: AuthenticatedDevice { AuthenticatedDevice(replica: replica, user: user, role: role) }
}

extension ServerDatabase {
    /// Eight hours: a working day, after which the supervisor signs in again.
    public static let reviewSessionLifetimeSeconds = 8 * 60 * 60

    public enum ReviewSignIn: Sendable, Equatable {
        /// The cookie value to hand to the browser, and the session it opens.
        case signedIn(cookie: String, session: ReviewSession)
        /// Right password, but caseworkers have no review pages.
        case roleNotAllowed(UserID)
        case invalidCredentials
    }

    /// Checks the password like a device sign-in does, and opens a session for
    /// a supervisor or admin, with its own device row. Every outcome is audited.
    public func signInToReview(user name: String, password: String) async throws -> ReviewSignIn {
        let name = UserName.normalized(name)
        let at = now
        let loggedName = UserID(name) != nil ? name : nil
        guard let user = try await verifiedUser(name, password: password), let userID = UserID(user.name) else {
            try await recordAudit(.loginFailed, actor: loggedName, device: nil, detail: ["via": "review"])
            return .invalidCredentials
        }
        guard user.role.mayResolveConflicts, user.role.mayReadLogs else {
            try await recordAudit(.loginFailed, actor: user.name, device: nil,
                                  detail: ["via": "review", "reason": "role-not-allowed", "role": .string(user.role.rawValue)])
            return .roleNotAllowed(userID)
        }
        var random = SystemRandomSource()
        let replica = ReplicaID(using: &random)
        let cookie = RandomSecret.generate()
        let csrfToken = RandomSecret.generate()
        let expiresAt = at + Int64(Self.reviewSessionLifetimeSeconds) * 1000
        try await groupCommit.write { db in
            // The device row has a token nobody is given: it authors operations
            // through the review pages only, never through /v1.
            try DeviceRecord(
                replica: replica.description, user: user.name, name: "review (browser)",
                tokenHash: RandomSecret.hash(DeviceToken.generate()), createdAt: at, lastSeenAt: at, revokedAt: nil
            ).insert(db)
            try ReviewSessionRecord(
                idHash: RandomSecret.hash(cookie), user: user.name, device: replica.description, csrfToken: csrfToken,
                createdAt: at, expiresAt: expiresAt
            ).insert(db)
            try ReviewSessionRecord.filter(ReviewSessionRecord.Columns.expiresAt <= at).deleteAll(db)
            try AuditLog.record(.login, actor: user.name, device: replica.description,
                                detail: ["via": "review", "deviceName": "review (browser)"], at: at, in: db)
        }
        return .signedIn(cookie: cookie, session: ReviewSession(
            user: userID, role: user.role, replica: replica, csrfToken: csrfToken, expiresAt: expiresAt))
    }

    /// The session a cookie names, if it has not expired, its user was not
    /// removed or demoted, and its device was not revoked.
    public func reviewSession(cookie: String) async throws -> ReviewSession? {
        let at = now
        let hash = RandomSecret.hash(cookie)
        // Sendable records, not Rows: with a Row the compiler picks GRDB's
        // blocking read and holds a cooperative thread for the query.
        let found = try await writer.read { db -> (session: ReviewSessionRecord, user: UserRecord, device: DeviceRecord)? in
            guard let session = try ReviewSessionRecord.fetchOne(db, key: hash),
                  let user = try UserRecord.fetchOne(db, key: session.user),
                  let device = try DeviceRecord.fetchOne(db, key: session.device)
            else { return nil }
            return (session, user, device)
        }
        guard let found, let user = UserID(found.user.name), let replica = ReplicaID(found.device.replica) else { return nil }
        let role = found.user.role
        guard found.session.expiresAt > at, found.user.removedAt == nil, found.device.revokedAt == nil, role.mayResolveConflicts else {
            try await groupCommit.write { db in _ = try ReviewSessionRecord.deleteOne(db, key: hash) }
            return nil
        }
        return ReviewSession(
            user: user, role: role, replica: replica, csrfToken: found.session.csrfToken, expiresAt: found.session.expiresAt)
    }

    /// Ends the session: the cookie stops working. The session's device row
    /// stays, as the author of what was written in it.
    public func signOutOfReview(cookie: String) async throws {
        let at = now
        let hash = RandomSecret.hash(cookie)
        try await groupCommit.write { db in
            guard let record = try ReviewSessionRecord.fetchOne(db, key: hash) else { return }
            try record.delete(db)
            try AuditLog.record(.logout, actor: record.user, device: record.device, detail: ["via": "review"], at: at, in: db)
        }
    }

    /// Ends every review session; `serve` calls it at start. A session writes
    /// under its own replica, numbering after the highest sequence number the
    /// database holds for it. After a restore from a backup, laptops can hold
    /// later operations of that replica than the database, and a new one under
    /// the same number would stop their pulls for good (`sequence-number-taken`).
    /// A restore needs the server stopped, so every start is treated as one:
    /// supervisors sign in to the review pages again after a restart.
    public func endReviewSessions() async throws -> Int {
        let at = now
        return try await groupCommit.write { db in
            let live = try ReviewSessionRecord.fetchAll(db).filter { $0.expiresAt > at }
            for record in live {
                try AuditLog.record(.logout, actor: record.user, device: record.device,
                                    detail: ["via": "review", "reason": "server-start"], at: at, in: db)
            }
            try ReviewSessionRecord.deleteAll(db)
            return live.count
        }
    }
}
