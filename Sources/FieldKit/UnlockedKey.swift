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
/// agent. Without `$XDG_RUNTIME_DIR` nothing is cached, so a key never lands on
/// a disk.
///
/// The file holds the expiry (milliseconds, big-endian) and the 32-byte key.
/// Expired, damaged or too widely readable files are ignored and deleted.
struct UnlockedKey {
    let url: URL

    /// Where the unlocked key of this laptop home lives, if the system offers
    /// a runtime directory. Several homes on one machine (`--home`) get
    /// different files: the name is a digest of the data directory's path.
    static func location(for paths: FieldPaths, environment: [String: String]) -> UnlockedKey? {
        guard let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty,
              FileManager.default.fileExists(atPath: runtime)
        else { return nil }
        let digest = SHA256.hash(data: Data(paths.data.standardizedFileURL.path.utf8))
        let name = digest.prefix(16).map { String(format: "%02x", $0) }.joined()
        return UnlockedKey(url: URL(fileURLWithPath: runtime).appendingPathComponent("field").appendingPathComponent("\(name).key"))
    }

    /// The key, if one is held and has not expired.
    func load(now: UInt64) -> SymmetricKey? {
        guard Vault.isOwnerOnlyRegularFile(url.path, ownedBy: getuid()),
              let data = try? Data(contentsOf: url), data.count == 40
        else {
            forget()
            return nil
        }
        let expiry = data.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard now < expiry else {
            forget()
            return nil
        }
        return SymmetricKey(data: data.suffix(32))
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
