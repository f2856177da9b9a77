import GRDB

/// Opens SQLite databases in WAL mode with `synchronous = FULL` on the one
/// connection that writes.
///
/// `Configuration.prepareDatabase` cannot set it: GRDB's `DatabasePool` runs
/// those setups when it opens a connection and only afterwards switches the
/// writer to WAL, with `PRAGMA synchronous = NORMAL` ("many applications choose
/// NORMAL when in WAL mode"). Under NORMAL a commit reaches the operating
/// system but not the disk, so it survives `kill -9` but not a power cut or a
/// kernel crash: a caseworker's note saved just before the laptop's battery ran
/// out, or a push the server had acknowledged, would be gone. With FULL every
/// commit waits for the write-ahead log's `fdatasync`.
public enum DurableDatabasePool {
    /// SQLite's value of `PRAGMA synchronous` for FULL.
    public static let synchronousFull = 2

    public static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration)
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
            guard level == synchronousFull else {
                throw DatabaseError(message: "could not set synchronous = FULL at \(path) (it is \(level.map(String.init) ?? "unknown"))")
            }
        }
        return pool
    }
}
