import Hummingbird
import SyncCore

/// Push and pull (Protocol.md §10.3 and §10.4).
struct SyncRoutes {
    let database: ServerDatabase

    static let defaultPullLimit = 1_000
    static let maximumPullLimit = 5_000

    func addRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.post("push") { request, context in
            let device = try context.requireDevice()
            let push = try PushBatch.decode(try await request.jsonBody(limit: RequestLimits.maximumBodyBytes))
            let (receipt, stored) = try await database.push(push, from: device)
            SyncMetrics.pushSessions.increment()
            SyncMetrics.operationsPushed.increment(by: stored)
            if stored > 0 { SyncMetrics.openConflicts.record(database.openConflictGauge) }
            return Response.json(receipt)
        }
        group.get("pull") { request, context in
            let device = try context.requireDevice()
            let cursor = try request.uri.parameter("cursor", as: "a cursor from an earlier pull") { text in
                text.count <= 64 && !text.isEmpty ? text : nil
            }
            let limit = try request.uri.parameter("limit", as: "a whole number from 1 to \(Self.maximumPullLimit)") { text in
                Int(text).flatMap { (1...Self.maximumPullLimit).contains($0) ? $0 : nil }
            } ?? Self.defaultPullLimit
            let page = try await database.pull(after: cursor, limit: limit, for: device)
            SyncMetrics.pullSessions.increment()
            SyncMetrics.operationsPulled.increment(by: page.operations.count)
            return Response.json(page.body)
        }
    }
}
