import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization

/// A write the server could not store because the disk under its database,
/// the file system or the server user's quota is full. Nothing of the request
/// was stored (its transaction rolled back), and the same request succeeds
/// once there is room again: the client is told to come back later
/// (`Problem.storageFull`), never that its change was wrong.
public struct StorageFull: Error, CustomStringConvertible {
    /// What SQLite said, for the log.
    public let description: String

    /// How long a client is asked to wait: freeing space takes an operator.
    public static let retryAfterSeconds = 60

    /// `error` as a `StorageFull` when it means there was no room: SQLite's
    /// `SQLITE_FULL` (its own write of a page failed with `ENOSPC`), or an I/O
    /// error whose system error is `ENOSPC` or `EDQUOT` (the write-ahead log's
    /// index growing, a quota, which SQLite reports as `SQLITE_IOERR_*`).
    /// Anything else is returned as it is. `db` must be the connection that
    /// failed, right after the failure: SQLite keeps the system error there.
    static func classify(_ error: any Error, in db: Database) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL:
            return StorageFull(description: error.description)
        case .SQLITE_IOERR:
            let systemError = db.sqliteConnection.map { sqlite3_system_errno($0) } ?? 0
            guard systemError == ENOSPC || systemError == EDQUOT else { return error }
            return StorageFull(description: "\(error.description) (\(String(cString: strerror(systemError))))")
        default:
            return error
        }
    }
}

extension StorageFull {
    /// Why the server cannot open its database in `directory`, when the
    /// reason is a full disk: SQLite's `SQLITE_FULL`, or an I/O error while
    /// the file system has (next to) no room left. Opening may write: a new
    /// database, a migration, the write-ahead log's index.
    public static func startRefusal(_ error: any Error, directory: String) -> ServerStartRefusal? {
        guard let error = error as? DatabaseError else { return nil }
        var room = statvfs()
        let bytesFree = statvfs(directory, &room) == 0 ? UInt64(room.f_bavail) * UInt64(room.f_frsize) : nil
        let isFull = switch error.resultCode {
        case .SQLITE_FULL: true
        case .SQLITE_IOERR: (bytesFree ?? .max) < 1 << 20
        default: false
        }
        guard isFull else { return nil }
        return ServerStartRefusal(
            "cannot open the database in \(directory): its disk is full (\(bytesFree.map { "\($0) bytes free" } ?? "no room")); "
                + "make room on it, then start the server again (SQLite: \(error.message ?? "\(error.resultCode)"))")
    }
}

/// Tells the operator once that the disk is full, not once per refused
/// request (a laptop fleet retrying on a full disk would bury the log), and
/// once that it has room again; `/metrics` shows both all along.
///
/// A write that succeeds does not end the episode by itself: on a full disk
/// SQLite still reuses the room its write-ahead log already has, so small
/// writes (a pull's cursor) go on succeeding between refused pushes, and
/// each of them would end and begin an episode. It ends with a stored write
/// once the file system under the database has room for the largest request
/// again (`roomToRecover`); a database without a directory (in memory)
/// recovers with any stored write.
final class StorageFullWatch: Sendable {
    private struct Episode {
        var isFull = false
        var refusedRequests = 0
    }

    /// Room for the largest push body once more.
    static let roomToRecover = UInt64(RequestLimits.maximumBodyBytes)

    private let episode = Mutex(Episode())
    private let logger: Logger
    private let directory: String?

    init(logger: Logger, databasePath: String) {
        self.logger = logger
        directory = databasePath.isEmpty || databasePath.hasPrefix(":memory:") || databasePath.hasPrefix("file::memory:")
            ? nil : (databasePath as NSString).deletingLastPathComponent
    }

    /// A group commit answered `requests` requests with `error`.
    func refused(_ error: StorageFull, requests: Int) {
        SyncMetrics.storageFullRefusals.increment(by: requests)
        let began = episode.withLock { episode in
            defer { episode.isFull = true; episode.refusedRequests += requests }
            return !episode.isFull
        }
        guard began else { return }
        SyncMetrics.storageFull.record(1)
        logger.error("the disk is full: requests that write are refused with 503 storage-full until there is room again; nothing was stored", metadata: [
            "error": "\(error.description)",
        ])
    }

    /// A group commit stored its writes.
    func stored() {
        guard episode.withLock({ $0.isFull }) else { return }
        var free: UInt64?
        if let directory {
            var room = statvfs()
            if statvfs(directory, &room) == 0 { free = UInt64(room.f_bavail) * UInt64(room.f_frsize) }
            guard let free, free >= Self.roomToRecover else { return }
        }
        let refused = episode.withLock { episode in
            defer { episode = Episode() }
            return episode.refusedRequests
        }
        SyncMetrics.storageFull.record(0)
        var metadata: Logger.Metadata = ["refusedWhileFull": "\(refused)"]
        if let free { metadata["bytesFree"] = "\(free)" }
        logger.notice("the disk has room again: writes are stored", metadata: metadata)
    }
}
