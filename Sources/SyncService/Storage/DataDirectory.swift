import Foundation
import Logging

/// The server's data directory, kept readable by the server's user only.
///
/// The database holds case notes about children in clear, and SQLite creates
/// the database, its WAL and shared-memory files with the process umask, so
/// under the usual 022 any local user could read them; a directory made
/// earlier, or by hand, keeps whatever mode it was given.
public enum DataDirectory {
    /// Sets the umask to 077 (every file and directory the process creates from
    /// here on is its user's only), creates the directory 0700 if `create`
    /// allows, and tightens an existing one and the files directly in it that
    /// others may read or write, logging each. Refuses a directory or a file
    /// that belongs to another user, whose mode this process cannot set.
    /// Returns the paths it tightened.
    @discardableResult
    public static func prepare(at path: String, create: Bool, logger: Logger) throws(ServerStartRefusal) -> [String] {
        umask(0o077)
        var status = stat()
        if stat(path, &status) != 0 {
            guard errno == ENOENT else {
                throw ServerStartRefusal("cannot examine the data directory \(path): \(String(cString: strerror(errno)))")
            }
            guard create else {
                throw ServerStartRefusal("there is no data directory at \(path); start the server once, or pass --data-dir")
            }
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServerStartRefusal("cannot create the data directory \(path): \(error.localizedDescription)")
            }
            // Checked like any other: another user may have made it in the
            // moment between looking and creating.
            guard stat(path, &status) == 0 else {
                throw ServerStartRefusal("cannot examine the data directory \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw ServerStartRefusal("\(path) is not a directory") }
        guard status.st_uid == geteuid() else {
            throw ServerStartRefusal(geteuid() == 0
                ? "the data directory \(path) belongs to uid \(status.st_uid): run sync-server as that user (sudo -u '#\(status.st_uid)' sync-server …), "
                    + "so that no file in it ends up root's"
                : "the data directory \(path) belongs to uid \(status.st_uid), not to this server's user "
                    + "(uid \(geteuid())): run sync-server as its owner, or chown it to this user")
        }
        var tightened: [String] = []
        try tighten(path, status: status, mode: 0o700, logger: logger, into: &tightened)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ServerStartRefusal("cannot list the data directory \(path): \(error.localizedDescription)")
        }
        for name in names.sorted() {
            let file = (path as NSString).appendingPathComponent(name)
            // lstat: a symbolic link is not followed to a file elsewhere, and
            // is refused: the database or its journal would be written there.
            guard lstat(file, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFLNK {
                throw ServerStartRefusal("\(file) is a symbolic link: the server's files must be in the data directory itself")
            }
            guard status.st_mode & S_IFMT == S_IFREG else { continue }
            try tighten(file, status: status, mode: 0o600, logger: logger, into: &tightened)
        }
        return tightened
    }

    private static func tighten(
        _ path: String, status: stat, mode: mode_t, logger: Logger, into tightened: inout [String]
    ) throws(ServerStartRefusal) {
        let current = status.st_mode & 0o7777
        guard current & 0o077 != 0 else { return }
        guard status.st_uid == geteuid() else {
            throw ServerStartRefusal(
                "\(path) may be read by other users (mode \(String(current, radix: 8))) and belongs to uid \(status.st_uid), "
                    + "not to this server's user (uid \(geteuid())): chown it to the server's user or chmod go= it")
        }
        guard chmod(path, mode) == 0 else {
            throw ServerStartRefusal("cannot restrict \(path) to its owner: \(String(cString: strerror(errno)))")
        }
        logger.warning("restricted a data file that other users could read", metadata: [
            "path": "\(path)", "was": "\(String(current, radix: 8))", "now": "\(String(mode, radix: 8))",
        ])
        tightened.append(path)
    }
}
