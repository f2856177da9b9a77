import Foundation

/// Where the field client keeps its files: data under `$XDG_DATA_HOME/field`,
/// configuration under `$XDG_CONFIG_HOME/field`, or both under one home given
/// with `--home` / `FIELD_HOME` (so that one machine can act as several laptops).
public struct FieldPaths: Sendable, Equatable {
    public let data: URL
    public let config: URL

    public init(data: URL, config: URL) {
        self.data = data
        self.config = config
    }

    public static func resolve(home: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> FieldPaths {
        if let home = home ?? environment["FIELD_HOME"], !home.isEmpty {
            let base = URL(fileURLWithPath: home, isDirectory: true)
            return FieldPaths(data: base.appendingPathComponent("data"), config: base.appendingPathComponent("config"))
        }
        let userHome = environment["HOME"] ?? NSHomeDirectory()
        let dataHome = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(userHome)/.local/share"
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(userHome)/.config"
        return FieldPaths(data: URL(fileURLWithPath: dataHome).appendingPathComponent("field"),
                          config: URL(fileURLWithPath: configHome).appendingPathComponent("field"))
    }

    public var database: URL { data.appendingPathComponent("replica.sqlite") }
    public var vaultHeader: URL { data.appendingPathComponent("vault.json") }
    public var settings: URL { config.appendingPathComponent("settings.json") }
    /// The municipality's CA certificates given at sign-in, copied here.
    public var caCertificates: URL { config.appendingPathComponent("ca.pem") }
    /// Where `field` before the sealed token kept the device token in clear.
    /// Read only to move it into the vault (see `FieldSession.open`), and
    /// deleted with the rest of the local data.
    public var legacyPlainToken: URL { config.appendingPathComponent("token") }

    /// Creates both directories, readable by the owner only.
    func createDirectories() throws {
        for directory in [data, config] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
        }
    }
}
