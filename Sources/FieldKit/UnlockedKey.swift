#if os(Linux)
import CFileSystemType
#endif
import Crypto
import Foundation
import SyncCore

/// A vault key held unlocked for a while, so that a caseworker types the
/// passphrase once at the start of a working day and not before every note.
///
/// The key is kept only under `$XDG_RUNTIME_DIR`, which the system keeps in
/// memory (tmpfs), readable only by its user, and empties at logout and on
/// shutdown: a laptop that is switched off or signed out still holds nothing
/// but sealed data. It is the same bargain as `sudo`'s timestamp or an SSH
/// agent. The directory is checked to be exactly that (see
/// `refusal(ofRuntimeDirectory:owner:)`); otherwise nothing is cached, so a
/// key never lands on a disk.
///
/// The file holds the expiry (milliseconds, big-endian) and the 32-byte key.
/// Expired, damaged or too widely readable files are ignored and deleted.
struct UnlockedKey {
    let url: URL

    /// Where the unlocked key of this laptop home lives, if the system offers
    /// a runtime directory that is fit for it. Several homes on one machine
    /// (`--home`) get different files: the name is a digest of the data
    /// directory's path. Throws, with the reason in one line, when there is no
    /// such directory.
    static func location(for paths: FieldPaths, environment: [String: String]) throws -> UnlockedKey {
        guard let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty else {
            throw FieldError.invalidArgument(
                "there is no XDG_RUNTIME_DIR (memory-backed storage) to keep the key in, so it is not kept; use --key-file or enter the passphrase each time")
        }
        if let refusal = refusal(ofRuntimeDirectory: runtime, owner: getuid()) {
            throw FieldError.invalidArgument(
                "XDG_RUNTIME_DIR \(runtime) \(refusal), so the key is not kept; use --key-file or enter the passphrase each time")
        }
        let digest = SHA256.hash(data: Data(paths.data.standardizedFileURL.path.utf8))
        let name = digest.prefix(16).map { String(format: "%02x", $0) }.joined()
        return UnlockedKey(url: URL(fileURLWithPath: runtime).appendingPathComponent("field").appendingPathComponent("\(name).key"))
    }

    static let tmpfsMagic: UInt32 = 0x0102_1994
    static let ramfsMagic: UInt32 = 0x8584_58F6

    /// Why a directory is unfit to hold a key, or nil when it is fit: it must
    /// be in memory (tmpfs or ramfs, so that the key never reaches a disk and
    /// is gone at shutdown), belong to the user, and be closed to everyone
    /// else (mode 0700). A directory on a disk is refused even when the
    /// variable names it: a mistaken or planted XDG_RUNTIME_DIR must not make
    /// the key outlive the working day.
    static func refusal(ofRuntimeDirectory path: String, owner: uid_t) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return "cannot be read (\(String(cString: strerror(errno))))" }
        guard status.st_mode & S_IFMT == S_IFDIR else { return "is not a directory" }
        guard isInMemory(path) else { return "is on a disk, not in memory (tmpfs or ramfs)" }
        guard status.st_uid == owner else { return "belongs to another user" }
        let mode = status.st_mode & 0o7777
        guard mode == 0o700 else { return "has mode \(String(mode, radix: 8)), not 700 (readable only by you)" }
        return nil
    }

    static func isInMemory(_ path: String) -> Bool {
        #if os(Linux)
        let type = field_file_system_type(path)
        guard type != -1 else { return false }
        return [tmpfsMagic, ramfsMagic].contains(UInt32(truncatingIfNeeded: type))
        #else
        var fileSystem = statfs()
        guard statfs(path, &fileSystem) == 0 else { return false }
        let name = withUnsafeBytes(of: fileSystem.f_fstypename) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return name == "tmpfs"
        #endif
    }

    /// What `lookup` finds: a key, none (never kept, expired, damaged, open
    /// to others), or a file that could not be read just now.
    enum Lookup {
        case key(SymmetricKey)
        case none
        case unreadableNow
    }

    /// The key, if one is held and has not expired; nil also when it cannot
    /// be read just now (see `lookup`).
    func load(now: UInt64, read: (URL) throws -> Data = { try Data(contentsOf: $0) }) -> SymmetricKey? {
        guard case .key(let key) = lookup(now: now, read: read) else { return nil }
        return key
    }

    /// The key held, if any. The file is deleted only when it is really no
    /// key: expired, damaged, or open to others. A read that fails (out of
    /// file descriptors, an interrupted call) leaves it and says so: the
    /// caseworker would otherwise have to type the passphrase again, and the
    /// app would lock, over a hiccup.
    func lookup(now: UInt64, read: (URL) throws -> Data = { try Data(contentsOf: $0) }) -> Lookup {
        guard FileManager.default.fileExists(atPath: url.path) else { return .none }
        guard Vault.isOwnerOnlyRegularFile(url.path, ownedBy: getuid()) else {
            forget()
            return .none
        }
        guard let data = try? read(url) else { return .unreadableNow }
        guard data.count == 40 else {
            forget()
            return .none
        }
        let expiry = data.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard now < expiry else {
            forget()
            return .none
        }
        return .key(SymmetricKey(data: data.suffix(32)))
    }

    /// Keeps `key` until `expiry`, replacing what was held.
    func store(_ key: SymmetricKey, until expiry: UInt64) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        var data = Data((0..<8).reversed().map { UInt8(truncatingIfNeeded: expiry >> (8 * UInt64($0))) })
        key.withUnsafeBytes { data.append(contentsOf: $0) }
        // Created owner-only before the key is written into it.
        restrictNewFiles()
        try data.write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }

    /// Deletes the held key, if any.
    func forget() {
        try? FileManager.default.removeItem(at: url)
    }
}
