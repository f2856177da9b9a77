import GRDB
import Logging
import Synchronization

/// Group commit for every write of the server: pushes, pulls (which store
/// cursors and audit events), sign-ins and the review pages.
///
/// Each of them is a small transaction, and with `synchronous = FULL` every
/// commit writes its dirty pages to the WAL and waits for the disk. While one
/// transaction commits, the requests that arrive queue up here; the next
/// transaction runs all of them, each inside its own savepoint, and commits
/// once. A request that fails rolls back its savepoint only, so its neighbours
/// are not affected and it leaves no trace, exactly as if it had run alone.
/// Nobody is answered before the commit that holds their writes has returned,
/// so what is acknowledged survives a crash or a power cut.
///
/// A full disk is the exception to "only the failing request": SQLite may
/// answer `SQLITE_FULL` or an I/O error by rolling back the whole
/// transaction, and then none of the group is stored. Every request of that
/// group is answered with the error (`StorageFull` when the disk is full),
/// and `StorageFullWatch` tells the operator.
final class GroupCommit: Sendable {
    /// One request's work and how to answer it once the group is committed.
    private struct Job: Sendable {
        /// Runs the work inside the group's transaction, keeps its outcome and
        /// returns its failure, if any.
        let run: @Sendable (Database) -> (any Error)?
        /// The error the request is to be answered with, if any:
        /// `commitError` is nil when the group committed.
        let failure: @Sendable (_ commitError: (any Error)?) -> (any Error)?
        /// Answers the request.
        let finish: @Sendable (_ commitError: (any Error)?) -> Void
    }

    private struct Queue {
        var pending: [Job] = []
        var draining = false
    }

    /// Where a job keeps its result between `run`, `failure` and `finish`. The
    /// drain task calls them one after the other, never at the same time, so
    /// the box needs no lock.
    private final class Outcome<Value>: @unchecked Sendable {
        var result: Result<Value, any Error>?
    }

    /// Bounds how long the last request of a group waits for the others.
    static let maximumGroupSize = 64

    private let writer: any DatabaseWriter
    private let queue = Mutex(Queue())
    private let storageFullWatch: StorageFullWatch

    init(writer: any DatabaseWriter, logger: Logger = Logger(label: "sync-server")) {
        self.writer = writer
        self.storageFullWatch = StorageFullWatch(logger: logger, databasePath: writer.path)
    }

    /// Runs `work` in a savepoint of the next group transaction and returns its
    /// result once that transaction has committed.
    func write<Value: Sendable>(_ work: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = Outcome<Value>()
            let job = Job(
                run: { db in
                    let result: Result<Value, any Error>
                    do {
                        var value: Value?
                        try db.inSavepoint {
                            value = try work(db)
                            return .commit
                        }
                        result = .success(value!)
                    } catch {
                        result = .failure(StorageFull.classify(error, in: db))
                    }
                    outcome.result = result
                    if case .failure(let error) = result { return error }
                    return nil
                },
                failure: { commitError in
                    switch outcome.result {
                    case .failure(let error): error
                    case .success: commitError
                    case nil: commitError ?? CancellationError()
                    }
                },
                finish: { commitError in
                    let result = outcome.result ?? .failure(commitError ?? CancellationError())
                    switch (result, commitError) {
                    case (.failure(let error), _): continuation.resume(throwing: error)
                    case (.success, let commitError?): continuation.resume(throwing: commitError)
                    case (.success(let value), nil): continuation.resume(returning: value)
                    }
                })
            let startsDraining = queue.withLock { queue in
                queue.pending.append(job)
                if queue.draining { return false }
                queue.draining = true
                return true
            }
            if startsDraining {
                Task { await self.drain() }
            }
        }
    }

    /// Commits groups until nobody waits.
    private func drain() async {
        while true {
            let group = queue.withLock { queue -> [Job] in
                let group = Array(queue.pending.prefix(Self.maximumGroupSize))
                queue.pending.removeFirst(group.count)
                if group.isEmpty { queue.draining = false }
                return group
            }
            if group.isEmpty { return }
            var commitError: (any Error)?
            do {
                try await writer.writeWithoutTransaction { db in
                    do {
                        try db.inTransaction(.immediate) {
                            for job in group {
                                // SQLite rolled the whole transaction back: the
                                // work of the jobs before is gone too, and the
                                // jobs after would run outside of it.
                                if let failure = job.run(db), !db.isInsideTransaction { throw failure }
                            }
                            return .commit
                        }
                    } catch {
                        throw StorageFull.classify(error, in: db)
                    }
                }
            } catch {
                commitError = error
            }
            // Told before anyone is answered, so that the log already says why
            // when a client sees its 503.
            let refusedForSpace = group.compactMap { $0.failure(commitError) as? StorageFull }
            if let storageFull = refusedForSpace.first {
                storageFullWatch.refused(storageFull, requests: refusedForSpace.count)
            } else if commitError == nil {
                storageFullWatch.stored()
            }
            for job in group { job.finish(commitError) }
        }
    }
}
