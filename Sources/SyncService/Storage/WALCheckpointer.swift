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
///    the readers: it copies the log while requests go on, and is repeated
///    while more than `framesLeftUncopied` frames are left;
/// 2. once the log holds more than `restartThroughTheWriterAbove` frames
///    (`defaultRestartThroughTheWriterAbove` unless a test asks for fewer), a
///    passive checkpoint through the server's writer, between two
///    transactions: it copies only what was committed meanwhile, and because
///    nothing writes while it runs, it leaves the log fully copied, so that the
///    next commit starts the log again from its beginning.
///
/// The log restarts by itself when the writer begins a transaction while it
/// is fully copied, which step 1 achieves whenever the server is not busy.
/// Under a steady load it seldom is, and without step 2 the log grows without
/// bound (seen: 195 MB in the initial-sync benchmark's data directory, 1.3 GB
/// in 15 s of the 64-device load), and a long log makes every page lookup
/// slower; step 2 keeps it under about 270 MB. But step 2 holds up every
/// request for the time it takes, 7–18 ms under the 64-device load (the copy
/// and two fsyncs). Run every round, it left about 1 group in 20 taking over
/// 15 ms, and the p99 followed; once per 65,536 frames it costs little (25-s
/// runs: p99 38–43 ms against 50–54 ms; docs/benchmark-history.md).
///
/// A checkpoint never blocks on readers; what it cannot copy yet (pages a
/// reader still needs) waits for the next round (the server's writer waits out
/// the moment a checkpoint holds a lock it needs, see
/// `ServerDatabase.configuration`). Durability does not depend on it: a
/// committed transaction is in the log, on disk, before it is acknowledged,
/// and SQLite flushes the log before it copies from it.
public struct WALCheckpointer: Service {
    let connection: DatabaseQueue
    let writer: any DatabaseWriter
    let interval: Duration
    let logger: Logger

    /// Step 1 is repeated while more than this many frames are left uncopied
    /// (the log grew meanwhile, or a reader still needed them).
    static let framesLeftUncopied = 256
    static let maximumRoundsBeside = 4
    /// Step 2 runs once the log holds more frames than this (a frame is a
    /// 4 KiB page and a 24-byte header: about 270 MB).
    public static let defaultRestartThroughTheWriterAbove = 65_536
    let restartThroughTheWriterAbove: Int

    public init(
        database: ServerDatabase, databasePath: String, interval: Duration = .milliseconds(250),
        restartThroughTheWriterAbove: Int = defaultRestartThroughTheWriterAbove, logger: Logger
    ) throws {
        self.connection = try DatabaseQueue(path: databasePath, configuration: ServerDatabase.configuration)
        self.writer = database.writer
        self.interval = interval
        self.restartThroughTheWriterAbove = restartThroughTheWriterAbove
        self.logger = logger
    }

    /// What one round left: the frames of the log when its last step began,
    /// how many of them are copied to the database file, and whether that
    /// last step was step 2, through the writer.
    public struct Round: Sendable, Equatable {
        public let walFrameCount: Int
        public let checkpointedFrameCount: Int
        public let throughTheWriter: Bool
    }

    /// One round, or nil when the log was busy (the writer was restarting
    /// it); a passive checkpoint does not wait, so the next round catches up.
    @discardableResult
    public func checkpoint() async throws -> Round? {
        do {
            var beside: (walFrameCount: Int, checkpointedFrameCount: Int)
            var rounds = 0
            repeat {
                beside = try await connection.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                rounds += 1
            } while beside.walFrameCount - beside.checkpointedFrameCount > Self.framesLeftUncopied && rounds < Self.maximumRoundsBeside
            if beside.walFrameCount <= restartThroughTheWriterAbove {
                return Round(walFrameCount: beside.walFrameCount, checkpointedFrameCount: beside.checkpointedFrameCount, throughTheWriter: false)
            }
            let last = try await writer.writeWithoutTransaction { db in try db.checkpoint(.passive) }
            return Round(walFrameCount: last.walFrameCount, checkpointedFrameCount: last.checkpointedFrameCount, throughTheWriter: true)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            return nil
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // A failure that lasts (a full disk) would otherwise be logged
            // four times a second: it is logged when it begins or changes.
            var failing: String?
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: interval)
                    try await checkpoint()
                    if failing != nil {
                        logger.notice("checkpoints work again")
                        failing = nil
                    }
                } catch is CancellationError {
                    return
                } catch {
                    let description = "\(error)"
                    if description != failing {
                        logger.warning("checkpoint failed; retrying, logged again when it works or fails otherwise",
                                       metadata: ["error": "\(description)"])
                        failing = description
                    }
                }
            }
        }
        // The last checkpoint, after the server has stopped writing.
        _ = try? await checkpoint()
    }
}
