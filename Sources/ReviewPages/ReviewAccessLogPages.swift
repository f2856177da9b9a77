import Foundation
import Hummingbird
import NIOCore
import PageKit
import SyncCore
import SyncService

/// The access log per case and per user, and its CSV export. Reads uploaded by
/// laptops (made offline) are in it with source `device`.
struct ReviewAccessLogPages {
    let database: ServerDatabase

    static let pageSize = 200
    static let exportPageSize = 2_000

    struct EventRow: Sendable {
        let id: Int64
        let time: String
        let actor: String
        /// The same log for this user alone.
        let actorLink: String?
        let device: String
        let action: String
        let caseID: String
        let caseLink: String?
        let source: String
        let isOffline: Bool
        let detail: String
    }

    struct AccessLogPage: Sendable {
        let chrome: PageChrome
        let caseID: String
        let user: String
        let events: [EventRow]
        let csvLink: String
        let olderLink: String?
    }

    struct Filter {
        let caseID: String?
        let user: String?
        let before: Int64?

        var query: String {
            [caseID.map { "case=\($0)" }, user.map { "user=\($0)" }].compactMap { $0 }.joined(separator: "&")
        }
    }

    func addRoutes(to group: RouterGroup<SyncRequestContext>) {
        group.get("access-log") { request, context in
            let session = try context.requireReviewSession()
            let filter = try Self.filter(request)
            let events = try await database.auditEvents(.init(caseID: filter.caseID, actor: filter.user, before: filter.before, limit: Self.pageSize))
            try await database.recordAudit(
                .auditViewed, actor: session.user.name, device: session.replica.description, caseID: filter.caseID,
                detail: ["via": "review", "user": filter.user.map(JSONValue.string) ?? .null, "count": .integer(Int64(events.count))])
            let query = filter.query
            let page = AccessLogPage(
                chrome: PageChrome("Access log", session: session), caseID: filter.caseID ?? "", user: filter.user ?? "",
                events: events.map { event in
                    EventRow(
                        id: event.id, time: ReviewTime.text(milliseconds: event.at), actor: event.actor ?? "",
                        actorLink: event.actor.map { "/review/access-log?user=\($0)" }, device: event.device ?? "",
                        action: event.action, caseID: event.caseID ?? "", caseLink: event.caseID.map { "/review/cases/\($0)" },
                        source: event.source, isOffline: event.source == "device",
                        detail: String(decoding: OperationCodec.canonicalBytes(event.detail), as: UTF8.self))
                },
                csvLink: "/review/access-log.csv" + (query.isEmpty ? "" : "?" + query),
                olderLink: events.count == Self.pageSize ? "/review/access-log?" + (query.isEmpty ? "" : query + "&") + "before=\(events.last!.id)" : nil)
            return ReviewRenderer.shared.page("access-log", page)
        }
        group.get("access-log.csv") { request, context in
            let session = try context.requireReviewSession()
            let filter = try Self.filter(request)
            // The export ends at the newest event now: those written while it
            // streams (its own audit event first) are not in it, and the
            // count recorded is exactly what it holds.
            let newest = try await database.newestAuditEventID()
            let count = try await database.auditEventCount(caseID: filter.caseID, actor: filter.user, through: newest)
            try await database.recordAudit(
                .auditExported, actor: session.user.name, device: session.replica.description, caseID: filter.caseID,
                detail: ["via": "review", "format": "csv", "user": filter.user.map(JSONValue.string) ?? .null,
                         "count": .integer(Int64(count))])
            var headers = ReviewRenderer.pageHeaders(contentType: "text/csv; charset=utf-8")
            let name = ["access-log", filter.caseID, filter.user].compactMap { $0 }.joined(separator: "-")
            headers[.contentDisposition] = "attachment; filename=\"\(name).csv\""
            // Every event, newest first, a page at a time: the export is
            // evidence and is never cut, however long the log.
            let database = self.database
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: AccessLogCSV.headerLine))
                var before: Int64? = newest + 1
                while true {
                    let events = try await database.auditEvents(
                        .init(caseID: filter.caseID, actor: filter.user, before: before, limit: Self.exportPageSize))
                    if !events.isEmpty { try await writer.write(ByteBuffer(string: AccessLogCSV.lines(events))) }
                    guard events.count == Self.exportPageSize, let last = events.last else { break }
                    before = last.id
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    static func filter(_ request: Request) throws -> Filter {
        let query = request.uri.queryParameters
        func parameter(_ name: String) -> String? { query[Substring(name)].map(String.init).nonBlank }
        let caseID = parameter("case")
        if let caseID, EntityID(caseID) == nil { throw ReviewPageError.badRequest("'\(caseID)' is not a case id.") }
        let user = parameter("user")
        if let user, UserID(user) == nil { throw ReviewPageError.badRequest("'\(user)' is not a user name.") }
        let beforeText = parameter("before")
        let before = beforeText.flatMap { Int64($0) }
        if beforeText != nil, (before ?? 0) <= 0 { throw ReviewPageError.badRequest("'before' must be an event number.") }
        return Filter(caseID: caseID, user: user, before: before)
    }
}
