import Foundation
import SyncCore

/// `field sync`: push the outbox, then pull what is new, with retries and
/// backoff on network failures. Safe to interrupt at any point: a pushed batch
/// keeps its id until acknowledged (the server returns the same receipt for a
/// retry), and a pulled page is stored with its cursor in one transaction.
public struct SyncEngine: Sendable {
    let replica: LocalReplica
    let connection: ServerConnection
    public var pushBatchSize = 500
    public var pullPageSize = 2_000
    public var retryDelays: [Duration] = [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4)]
    /// A busy server (`503 server-busy`) says to come back in seconds, and a
    /// body of this device's own that the server still reads (a connection
    /// dropped mid-push) holds it up to its idle timeout, 60 s: waited out.
    public var busyRetryDelays: [Duration] = [.seconds(5), .seconds(10), .seconds(20), .seconds(30), .seconds(30)]

    public struct Report: Sendable, Equatable {
        public var pushed = 0
        public var pulled = 0
        public var removedCases: [EntityID] = []
        /// Changes the server found dated too far ahead of its clock, and
        /// that were re-dated to its time and pushed again.
        public var redated: Redated?
    }

    public typealias Progress = @Sendable (_ phase: String, _ done: Int, _ total: Int?) -> Void

    public func run(progress: Progress = { _, _, _ in }) async throws -> Report {
        var report = Report()
        let waiting = try await replica.status().waitingOperations
        // Push until the outbox is empty.
        while true {
            let operations = try await replica.outbox(limit: pushBatchSize)
            // Reads go with the outbox's last batch: a read of a case created
            // offline must reach the server after the case, or it is refused.
            let reads = operations.count < pushBatchSize ? try await replica.pendingReads(limit: 5_000) : []
            guard !operations.isEmpty || !reads.isEmpty else { break }
            let batch = operations.isEmpty
                ? "reads-\(replica.replica)-\(reads.last!.id)"
                : "\(replica.replica)-\(operations.first!.seq)-\(operations.last!.seq)-\(reads.last?.id ?? 0)"
            let body: JSONValue = [
                "batch": .string(batch),
                "operations": .array(operations.map(OperationCodec().jsonValue(of:))),
                "reads": .array(reads.map(\.document)),
            ]
            let receipt: ServerConnection.Reply
            do {
                receipt = try await retrying { try await connection.call(.post, "/v1/push", json: body) }
            } catch FieldError.clockAhead(let serverTime, let refused, _) where report.redated == nil {
                // Once a sync: the re-dated changes are not ahead of the server.
                report.redated = try await redate(refused, serverTime: serverTime)
                continue
            }
            let acknowledged = (receipt.body.member("operations")?.arrayValue ?? []).compactMap {
                $0.member("id")?.stringValue.flatMap(OperationID.init)
            }
            try await replica.acknowledge(operations: acknowledged, readsThrough: reads.last?.id)
            report.pushed += acknowledged.count
            progress("push", report.pushed, waiting)
            if operations.count < pushBatchSize && reads.count < 5_000 { break }
        }
        // Pull until the server has nothing more.
        while true {
            let cursor = try await replica.cursor
            let query = "?limit=\(pullPageSize)" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await retrying { try await connection.call(.get, "/v1/pull" + query) }
            let operations = try OperationCodec().operations(from: page.body.member("operations") ?? .array([]), path: "operations")
            let removed = (page.body.member("removedCases")?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(EntityID.init) }
            guard let next = page.body.member("cursor")?.stringValue else {
                throw FieldError.serverRefused(status: page.status, code: "no-cursor", detail: "the pull answer had no cursor")
            }
            try await replica.storePulled(operations, removedCases: removed, cursor: next)
            report.pulled += operations.count
            report.removedCases += removed
            // The server counts what is left only when a page is full; the
            // total is what came so far plus that.
            let left = page.body.member("remaining")?.integerValue.map(Int.init) ?? 0
            progress("pull", report.pulled, report.pulled + left)
            if page.body.member("hasMore") != .bool(true) { break }
        }
        try await replica.markSynced()
        return report
    }

    /// Retries network failures, and a server too busy to take the body now
    /// (`503 server-busy`), with backoff; any other refusal by the server is final.
    func retrying<T: Sendable>(_ attempt: @Sendable () async throws -> T) async throws -> T {
        var delays = retryDelays[...]
        var busyDelays = busyRetryDelays[...]
        while true {
            do {
                return try await attempt()
            } catch let error as FieldError where error.isWorthRetrying {
                let isBusy = if case .serverRefused = error { true } else { false }
                guard let delay = isBusy ? busyDelays.popFirst() : delays.popFirst() else { throw error }
                try await Task.sleep(for: delay)
            }
        }
    }
}
