import FieldKit
import Foundation
import Synchronization

/// The app's sync: one at a time, in a task of its own, so that the page that
/// started it can be left and come back to, and a second press (another
/// tab, a double click) joins the sync under way instead of starting another
/// over the same outbox.
final class SyncRunner: Sendable {
    /// How a sync ended, as the sync page words it.
    enum Outcome: Sendable {
        case done(SyncEngine.Report)
        case failed(FieldError)
        /// An error FieldKit has no words for (a disk error of the replica).
        case broke(String)
    }

    struct Progress: Sendable, Equatable {
        let phase: String
        let done: Int
        let total: Int?
    }

    struct Status: Sendable {
        var running = false
        /// Of the sync under way; nil until it has sent or fetched a page.
        var progress: Progress?
        /// Of the last sync that ended since the app started.
        var outcome: Outcome?
        /// When it ended, in milliseconds since 1970.
        var finishedAt: UInt64?
    }

    /// The sync of a session, with its progress, and what runs before
    /// FieldKit deletes the data of a revoked laptop.
    typealias Perform = @Sendable (FieldSession, @escaping SyncEngine.Progress, @escaping @Sendable () async -> Void) async throws -> SyncEngine.Report

    private let perform: Perform
    private let current = Mutex<(status: Status, task: Task<Void, Never>?)>((Status(), nil))

    /// `perform` is the sync itself; tests give one they hold up.
    init(perform: @escaping Perform = { session, progress, beforeDeleting in
        try await session.sync(progress: progress, beforeDeleting: beforeDeleting)
    }) {
        self.perform = perform
    }

    var status: Status { current.withLock { $0.status } }

    /// Starts a sync of `session`, unless one is under way: then this joins
    /// it and returns false. `beforeDeleting` runs when the server said the
    /// laptop may no longer hold case data, before FieldKit deletes it.
    /// `ended` runs once the sync has ended, with its outcome, before the
    /// status says so.
    @discardableResult
    func start(_ session: FieldSession, beforeDeleting: @escaping @Sendable () async -> Void = {},
               ended: @escaping @Sendable (Outcome) async -> Void) -> Bool {
        current.withLock { current in
            guard !current.status.running else { return false }
            current.status.running = true
            current.status.progress = nil
            let perform = perform
            current.task = Task { [self] in
                let outcome: Outcome
                do {
                    outcome = .done(try await perform(session, { phase, done, total in
                        self.current.withLock { $0.status.progress = Progress(phase: phase, done: done, total: total) }
                    }, beforeDeleting))
                } catch let error as FieldError {
                    outcome = .failed(error)
                } catch {
                    outcome = .broke(String(describing: error))
                }
                await ended(outcome)
                let finished = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
                self.current.withLock {
                    $0.status = Status(running: false, progress: nil, outcome: outcome, finishedAt: finished)
                    $0.task = nil
                }
            }
            return true
        }
    }

    /// Forgets the last sync's outcome (the data locked); a sync under way
    /// keeps its status and reports as usual.
    func forgetOutcome() {
        current.withLock { current in
            if !current.status.running { current.status = Status() }
        }
    }

    /// Waits for the sync under way, if any, to end.
    func waitUntilEnded() async {
        await current.withLock { $0.task }?.value
    }
}
