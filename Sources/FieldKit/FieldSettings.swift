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

    /// Written with mode 0600 from the start, never briefly world-readable.
    static func writePrivate(_ data: Data, to url: URL) throws {
        let temporary = url.appendingPathExtension("tmp")
        FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600])
        try data.write(to: temporary)
        guard rename(temporary.path, url.path) == 0 else {
            throw FieldError.invalidArgument("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
