import Hummingbird
import SyncCore

/// The conflict log and the audit log, for supervisors and admins (Protocol.md §10.5).
struct ReviewRoutes {
    let database: ServerDatabase

    func addRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.get("conflicts") { request, context in
            let device = try context.requireDevice()
            guard device.role.mayResolveConflicts else {
                throw Problem.forbidden("role-not-allowed", "the conflict log is for supervisors and admins")
            }
            let caseID = try request.uri.parameter("case", as: "a case id", EntityID.init)
            let status = try request.uri.parameter("status", as: "open, resolved or all", ServerDatabase.ConflictStatus.init(rawValue:)) ?? .open
            let limit = try request.uri.parameter("limit", as: "a whole number from 1 to 1000") { Int($0).flatMap { (1...1000).contains($0) ? $0 : nil } } ?? 200
            let conflicts = try await database.conflicts(.init(caseIDs: caseID.map { [$0] }, status: status, limit: limit))
            try await database.recordAudit(
                .conflictsViewed, actor: device.user.name, device: device.replica.description, caseID: caseID?.description,
                detail: ["status": .string(status.rawValue), "count": .integer(Int64(conflicts.count))])
            return Response.json(["conflicts": .array(conflicts)])
        }
        group.get("audit") { request, context in
            let device = try context.requireDevice()
            guard device.role.mayReadLogs else {
                throw Problem.forbidden("role-not-allowed", "the audit log is for supervisors and admins")
            }
            let caseID = try request.uri.parameter("case", as: "a case id", EntityID.init)
            let user = try request.uri.parameter("user", as: "a user name", UserID.init)
            let before = try request.uri.parameter("before", as: "an event id") { Int64($0).flatMap { $0 > 0 ? $0 : nil } }
            let limit = try request.uri.parameter("limit", as: "a whole number from 1 to 1000") { Int($0).flatMap { (1...1000).contains($0) ? $0 : nil } } ?? 200
            let events = try await database.auditEvents(.init(caseID: caseID?.description, actor: user?.name, before: before, limit: limit))
            try await database.recordAudit(
                .auditViewed, actor: device.user.name, device: device.replica.description, caseID: caseID?.description,
                detail: ["user": user.map { .string($0.name) } ?? .null, "count": .integer(Int64(events.count))])
            return Response.json(["events": .array(events.map(\.jsonValue))])
        }
    }
}
