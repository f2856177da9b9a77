import Foundation
import GRDB
import SyncCore

/// What the audit log records. Stable names: supervisors filter on them and the
/// CSV export carries them.
public enum AuditAction: String, Sendable, CaseIterable {
    case login = "login"
    case loginFailed = "login-failed"
    /// A sign-in refused unchecked, after too many failures under its user
    /// name or from its address (at most one a minute per name and address).
    case loginThrottled = "login-throttled"
    case logout = "logout"
    case push = "push"
    case pull = "pull"
    case accessRemoved = "access-removed"
    case membershipChanged = "membership-changed"
    case conflictsViewed = "conflicts-viewed"
    case conflictResolved = "conflict-resolved"
    case auditViewed = "audit-viewed"
    case deviceRevoked = "device-revoked"
    case userAdded = "user-added"
    case userRemoved = "user-removed"
    case refusedPurgedDevice = "refused-revoked-device"
    /// A read made on a laptop, possibly offline, uploaded at sync.
    case deviceRead = "device-read"
    /// Uploaded reads that were not written as `device-read` (a case the
    /// device could not hold, an impossible time, over the daily cap), counted by reason.
    case deviceReadsRefused = "device-reads-refused"
    /// Operations an earlier server stored that the write rules refuse,
    /// moved out of the log at the upgrade (`OperationQuarantine`).
    case operationsQuarantined = "operations-quarantined"
    /// A case's timeline opened on the review pages.
    case caseViewed = "case-viewed"
    /// The list of cases (titles, members) shown on the review pages.
    case casesListed = "cases-listed"
    /// The audit log exported (CSV) from the review pages.
    case auditExported = "audit-exported"
}

enum AuditLog {
    static func record(
        _ action: AuditAction, actor: String?, device: String?, caseID: String? = nil,
        detail: JSONValue = .object([:]), source: String = "server", at: Int64, in db: Database
    ) throws {
        // The busiest insert of the server (every push and pull): a prepared statement.
        try db.cachedStatement(sql: """
            INSERT INTO auditEvent (at, actor, device, action, caseID, source, detail) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [at, actor, device, action.rawValue, caseID, source, OperationCodec.canonicalBytes(detail)])
    }
}

/// One entry of the audit log as the API returns it.
public struct AuditEvent: Sendable, Hashable {
    public let id: Int64
    public let at: Int64
    public let actor: String?
    public let device: String?
    public let action: String
    public let caseID: String?
    public let source: String
    public let detail: JSONValue

    init(_ record: AuditEventRecord) throws {
        id = record.id ?? 0
        at = record.at
        actor = record.actor
        device = record.device
        action = record.action
        caseID = record.caseID
        source = record.source
        detail = try OperationCodec.parse(record.detail, path: "detail")
    }

    public var jsonValue: JSONValue {
        [
            "id": .integer(id), "at": .integer(at), "actor": actor.map(JSONValue.string) ?? .null,
            "device": device.map(JSONValue.string) ?? .null, "action": .string(action),
            "case": caseID.map(JSONValue.string) ?? .null, "source": .string(source), "detail": detail,
        ]
    }
}

extension ServerDatabase {
    public struct AuditQuery: Sendable {
        public var caseID: String?
        public var actor: String?
        public var before: Int64?
        public var limit: Int

        public init(caseID: String? = nil, actor: String? = nil, before: Int64? = nil, limit: Int = 200) {
            self.caseID = caseID
            self.actor = actor
            self.before = before
            self.limit = limit
        }
    }

    /// Newest first; `before` pages backwards by event id.
    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await writer.read { db in
            var request = AuditEventRecord.order(AuditEventRecord.Columns.id.desc).limit(query.limit)
                .matching(caseID: query.caseID, actor: query.actor)
            if let before = query.before { request = request.filter(AuditEventRecord.Columns.id < before) }
            return try request.fetchAll(db).map(AuditEvent.init)
        }
    }

    public func recordAudit(
        _ action: AuditAction, actor: String?, device: String?, caseID: String? = nil, detail: JSONValue = .object([:])
    ) async throws {
        let at = now
        try await groupCommit.write { db in
            try AuditLog.record(action, actor: actor, device: device, caseID: caseID, detail: detail, at: at, in: db)
        }
    }
}
