import Foundation
import SyncCore

/// Who this laptop is to the server: kept in the configuration directory,
/// readable by the owner only. Nothing here opens anything on the server: the
/// device token is sealed in the vault (`LocalReplica.deviceToken`), so these
/// settings can be read while the laptop is locked.
public struct FieldSettings: Codable, Equatable, Sendable {
    public var server: String
    public var user: String
    public var role: String
    public var device: String
    /// The CA certificate file (PEM) that the server's certificate must chain
    /// to, when the municipality runs its own CA; nil for the system's roots.
    public var caFile: String?

    public init(server: String, user: String, role: String, device: String, caFile: String? = nil) {
        self.server = server
        self.user = user
        self.role = role
        self.device = device
        self.caFile = caFile
    }

    public var replica: ReplicaID? { ReplicaID(device) }
    public var userID: UserID? { UserID(user) }

    /// The settings, readable without the key: nil when the laptop is not set up.
    public static func load(from paths: FieldPaths) throws -> FieldSettings? {
        guard FileManager.default.fileExists(atPath: paths.settings.path) else { return nil }
        return try JSONDecoder().decode(FieldSettings.self, from: Data(contentsOf: paths.settings))
    }

    func save(to paths: FieldPaths) throws {
        try paths.createDirectories()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.writePrivate(try encoder.encode(self), to: paths.settings)
    }

    /// Records the role the server holds now for the user of `device`, as the
    /// file says it now (another `field` may have written it since this
    /// process read it); a file of another sign-in is left alone.
    static func adoptRole(_ role: String, device: String, at paths: FieldPaths) throws {
        guard var current = try load(from: paths), current.device == device, current.role != role else { return }
        current.role = role
        try current.save(to: paths)
    }

    /// The token an earlier `field` left in clear, if any.
    static func loadLegacyPlainToken(from paths: FieldPaths) -> String? {
        (try? String(contentsOf: paths.legacyPlainToken, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Deletes a file that held a secret, so that the deletion survives a power
    /// cut: its bytes are overwritten and flushed first (which on a journaling
    /// file system or an SSD narrows, but cannot close, the window in which
    /// the old blocks can be read back), then the name goes and the directory
    /// is flushed.
    static func deleteSecretFile(_ url: URL) throws {
        func failure(_ what: String) -> FieldError {
            FieldError.invalidArgument("cannot delete \(url.path) (\(what)): \(String(cString: strerror(errno)))")
        }
        let file = open(url.path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if file >= 0 {
            var status = stat()
            if fstat(file, &status) == 0, status.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(status.st_size))
                _ = zeros.withUnsafeBytes { write(file, $0.baseAddress!, $0.count) }
                _ = fsync(file)
            }
            close(file)
        }
        guard unlink(url.path) == 0 || errno == ENOENT else { throw failure("unlink") }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw failure("open directory") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw failure("fsync directory") }
    }

    /// Written with mode 0600 from the start, never briefly world-readable,
    /// and on disk before this returns: the file, then its new name in the
    /// directory. The replica's commits wait for the disk; a vault header or
    /// the settings lost to a power cut while they survive would lock the laptop
    /// out of its own data.
    static func writePrivate(_ data: Data, to url: URL) throws {
        func failure(_ what: String) -> FieldError {
            FieldError.invalidArgument("cannot write \(url.path) (\(what)): \(String(cString: strerror(errno)))")
        }
        let temporary = url.appendingPathExtension("tmp")
        let file = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw failure("open") }
        var written = 0
        let complete = data.withUnsafeBytes { bytes -> Bool in
            while written < bytes.count {
                let count = write(file, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 { if errno == EINTR { continue }; return false }
                written += count
            }
            return true
        }
        guard complete, fchmod(file, 0o600) == 0, fsync(file) == 0 else {
            let error = failure("write")
            close(file)
            throw error
        }
        guard close(file) == 0 else { throw failure("close") }
        guard rename(temporary.path, url.path) == 0 else { throw failure("rename") }
        let directory = open(url.deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { throw failure("open directory") }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw failure("fsync directory") }
    }
}

extension FieldSettings {
    /// Membership and resolutions are for supervisors and admins. A role
    /// this version does not know (an empty one, a later server's) is
    /// refused, never taken for a supervisor's: the list is of who may.
    public func requireMembershipRole() throws {
        guard let role = UserRole(rawValue: role), role.mayChangeMembership, role.mayResolveConflicts else {
            throw FieldError.supervisorsOnly
        }
    }
}
