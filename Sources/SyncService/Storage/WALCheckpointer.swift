import GRDB
import Logging
import ServiceLifecycle
import SyncPersistence

/// Moves the write-ahead log into the database file in the background.
///
/// By default SQLite checkpoints inside the commit that pushes the log past
/// 1,000 pages: the one writer then copies pages and waits for the database
/// file's fsync while every push and pull queues behind it (under the 64-device
/// load this was 9 % of the server's CPU samples, all of it on the serial write
/// path). The server turns that off (`wal_autocheckpoint = 0`) and runs this
/// service instead, a few times a second, in two steps:
///
/// 1. a passive checkpoint on a connection of its own, beside the writer and
///    the readers: it copies the bulk of the log while requests go on;
/// 2. a passive checkpoint through the server's writer, between two
///    transactions: it copies only what was committed meanwhile, and because
///    nothing writes while it runs, it leaves the log fully copied, so that the
///    next commit starts the log again from its beginning. Without this step
///    the log seldom restarts under a steady load and keeps growing (seen: the
///    initial-sync benchmark's data directory held 195 MB with the first step
///    alone, 95 MB with both, 82 MB with SQLite's own checkpoints).
///
/// A checkpoint never blocks on readers; what it cannot copy yet (pages a
/// reader still needs) waits for the next round (the server's writer waits out
/// the moment a checkpoint holds a lock it needs, see
/// `ServerDatabase.configuration`). Durability does not depend on it: a
/// committed transaction is in the log, fsynced, before it is acknowledged.
public struct WALCheckpointer: Service {
    let connection: DatabaseQueue
    let writer: any DatabaseWriter
    let interval: Duration
    let logger: Logger

    /// The second step holds up every request while it copies, so the first
    /// one is repeated, while the log grows during it, until no more than
    /// this many frames (4 KiB each) are left for the writer.
    static let framesLeftToTheWriter = 256
    static let maximumRoundsBeside = 4

    public init(database: ServerDatabase, databasePath: String, interval: Duration = .milliseconds(250), logger: Logger) throws {
        self.connection = try DatabaseQueue(path: databasePath, configuration: ServerDatabase.configuration)
        self.writer = database.writer
        self.interval = interval
        self.logger = logger
    }

    /// One passive checkpoint: the frames of the log copied to the database
    /// file, or nil when the log was busy (the writer was restarting it); a
    /// passive checkpoint does not wait, so the next round catches up.
    /// The result is the second step's.
    @discardableResult
    public func checkpoint() async throws -> (walFrameCount: Int, checkpointedFrameCount: Int)? {
        do {
            var beside = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            var rounds = 1
            while beside.walFrameCount - beside.checkpointedFrameCount > Self.framesLeftToTheWriter, rounds < Self.maximumRoundsBeside {
                beside = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                rounds += 1
            }
            return try await writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await checkpoint()
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("checkpoint failed; retrying", metadata: ["error": "\(error)"])
                }
            }
        }
        // The last checkpoint, after the server has stopped writing.
        _ = try? await checkpoint()
    }
}
