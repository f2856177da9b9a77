import GRDB

/// Opens SQLite databases in WAL mode with `synchronous = FULL` on the one
/// connection that writes, and checks that a database handed in is so.
///
/// `Configuration.prepareDatabase` cannot set it: GRDB's `DatabasePool` runs
/// those setups when it opens a connection and only afterwards switches the
/// writer to WAL, with `PRAGMA synchronous = NORMAL` ("many applications choose
/// NORMAL when in WAL mode"). Under NORMAL a commit reaches the operating
/// system but not the disk, so it survives `kill -9` but not a power cut or a
/// kernel crash: a caseworker's note saved just before the laptop's battery ran
/// out, or a push the server had acknowledged, would be gone. With FULL every
/// commit waits for the write-ahead log's `fdatasync` (on Apple systems for
/// `F_FULLFSYNC` too, which `configuration` asks for).
public enum DurableDatabasePool {
    /// SQLite's value of `PRAGMA synchronous` for FULL (EXTRA is 3).
    public static let synchronousFull = 2

    /// `synchronous = FULL`: a committed transaction survives a crash of the
    /// process (kill -9) and of the machine. A `DatabasePool` resets it on its
    /// writer; `open` sets it again. The server's and the laptop's databases
    /// start from this configuration.
    public static var configuration: Configuration {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Apple systems: fsync alone leaves the commit in the drive's cache.
            try db.execute(sql: "PRAGMA fullfsync = ON")
        }
        return configuration
    }

    public static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            // Never lower a stricter level (EXTRA) the configuration asked for.
            if try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? 0 < synchronousFull {
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        try requireDurable(pool)
        return pool
    }

    /// Throws unless the writer of a database on disk commits at FULL or
    /// stricter; a database in memory has nothing to make durable. Every store
    /// that accepts a writer from outside checks it, so that a pool opened
    /// without `open` fails at once instead of quietly losing commits.
    public static func requireDurable(_ writer: any DatabaseWriter) throws {
        guard !writer.path.isEmpty, writer.path != ":memory:", !writer.path.hasPrefix("file::memory:") else { return }
        let level = try writer.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        guard let level, level >= synchronousFull else {
            throw DatabaseError(message: """
                the database at \(writer.path) commits at synchronous = \(level.map(String.init) ?? "unknown"), \
                not FULL: open it with DurableDatabasePool.open
                """)
        }
    }
}
