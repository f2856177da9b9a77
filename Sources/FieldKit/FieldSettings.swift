import Foundation
import SyncCore

/// Who this laptop is to the server: kept in the configuration directory,
/// readable by the owner only. The device token is a file of its own.
public struct FieldSettings: Codable, Equatable, Sendable {
    public var server: String
    public var user: String
    public var role: String
    public var device: String

    public var replica: ReplicaID? { ReplicaID(device) }
    public var userID: UserID? { UserID(user) }

    static func load(from paths: FieldPaths) throws -> FieldSettings? {
        guard FileManager.default.fileExists(atPath: paths.settings.path) else { return nil }
        return try JSONDecoder().decode(FieldSettings.self, from: Data(contentsOf: paths.settings))
    }

    func save(to paths: FieldPaths) throws {
        try paths.createDirectories()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try Self.writePrivate(try encoder.encode(self), to: paths.settings)
    }

    static func loadToken(from paths: FieldPaths) -> String? {
        (try? String(contentsOf: paths.token, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func saveToken(_ token: String, to paths: FieldPaths) throws {
        try writePrivate(Data(token.utf8), to: paths.token)
    }

    /// Written with mode 0600 from the start, never briefly world-readable,
    /// and on disk before this returns: the file, then its new name in the
    /// directory. The replica's commits wait for the disk; a vault header or
    /// a token lost to a power cut while they survive would lock the laptop
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
