import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Puts committed transactions on disk off the writer's path.
///
/// With `synchronous = FULL`, SQLite waits for the disk inside every COMMIT:
/// the one writer connection sits idle for the flush (0.3 ms at p50 on this
/// VM's disk today, 4.4 ms on 2026-11-23) while the next group queues behind it,
/// and every request's latency carries that wait once or twice. The server's
/// writer commits with `synchronous = NORMAL` instead, which writes the
/// transaction's frames to the write-ahead log without flushing it, and this
/// type flushes the log on a thread of its own while the writer already runs
/// the next group.
///
/// What is acknowledged stays exactly as durable as with FULL: a request is
/// answered only after a flush of the log that began after its commit had
/// returned (`afterCommit`). A `kill -9` loses nothing in either mode, since the
/// frames are in the operating system's cache once COMMIT returns; the flush
/// is what survives a power cut. Groups that commit while a flush runs share
/// the next one.
///
/// Checkpoints need nothing from this: in WAL mode SQLite flushes the log
/// before it copies frames into the database file, and flushes the database
/// file before the log starts again from its beginning, at either level.
final class WriteAheadLogFlusher: Sendable {
    private struct State {
        var waiting: [@Sendable ((any Error)?) -> Void] = []
        var flushing = false
        /// After a failed flush the kernel may have dropped the dirty pages and
        /// report the next flush as a success, so nothing written since can be
        /// trusted: every later write fails until the server is restarted
        /// (SQLite then reads the log back from what is really on disk).
        var failure: FlushFailure?
        var directoryFlushed = false
    }

    let logPath: String
    private let directoryPath: String
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "sync-server.wal-flush")

    /// `databasePath` is the SQLite file; its log is `<databasePath>-wal`.
    init(databasePath: String) {
        self.logPath = databasePath + "-wal"
        let slash = databasePath.lastIndex(of: "/")
        self.directoryPath = slash.map { String(databasePath[..<$0]).isEmpty ? "/" : String(databasePath[..<$0]) } ?? "."
    }

    /// Set once a flush has failed: nothing may be written after it.
    var failure: FlushFailure? { state.withLock { $0.failure } }

    /// Calls `done` once everything committed before this call is on disk,
    /// with the error if it cannot be.
    func afterCommit(_ done: @escaping @Sendable ((any Error)?) -> Void) {
        let action = state.withLock { state -> FlushFailure?? in
            if let failure = state.failure { return .some(failure) }
            state.waiting.append(done)
            if state.flushing { return .none }
            state.flushing = true
            return .some(nil)
        }
        switch action {
        case .some(let failure?): done(failure)
        case .some(nil): queue.async { self.flushUntilNobodyWaits() }
        case .none: break
        }
    }

    /// Runs on `queue`: each round flushes for everyone who was waiting when
    /// it began.
    private func flushUntilNobodyWaits() {
        while true {
            let (round, flushDirectory) = state.withLock { state -> ([@Sendable ((any Error)?) -> Void], Bool) in
                let round = state.waiting
                state.waiting.removeAll()
                if round.isEmpty { state.flushing = false }
                return (round, !state.directoryFlushed)
            }
            if round.isEmpty { return }
            var failure: FlushFailure?
            do throws(FlushFailure) {
                try Self.flush(path: logPath)
                // SQLite flushes the directory after creating a log; with
                // NORMAL it would do so only at the first checkpoint.
                if flushDirectory {
                    try Self.flush(path: directoryPath, directory: true)
                    state.withLock { $0.directoryFlushed = true }
                }
            } catch {
                failure = error
                state.withLock { $0.failure = error }
            }
            for done in round { done(failure) }
        }
    }

    private static func flush(path: String, directory: Bool = false) throws(FlushFailure) {
        let descriptor = open(path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC)
        guard descriptor >= 0 else { throw FlushFailure(path: path, operation: "open", code: errno) }
        defer { close(descriptor) }
        let result = directory ? fsync(descriptor) : fdatasync(descriptor)
        guard result == 0 else { throw FlushFailure(path: path, operation: directory ? "fsync" : "fdatasync", code: errno) }
    }
}

/// The write-ahead log could not be put on disk: what was committed since the
/// last good flush may be lost at a power cut, so it is never acknowledged.
struct FlushFailure: Error, CustomStringConvertible {
    let path: String
    let operation: String
    let code: Int32

    var description: String {
        "\(operation) of \(path) failed: \(String(cString: strerror(code))) (errno \(code)); writes refused until restart"
    }
}
