@testable import FieldKit
import Foundation
import SyncCore
import SyncPersistence

/// A laptop home with an encrypted replica and no server, as `field login`
/// leaves it: for what needs no sync.
enum OfflineLaptop {
    static let passphrase = "laptop secret"

    /// A new home, set up and not opened.
    static func home() throws -> FieldPaths {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("offline-\(UUID().uuidString)")
        let paths = FieldPaths.resolve(home: home.path)
        try paths.createDirectories()
        // Few scrypt rounds: the key derivation is not what is tested.
        _ = try Vault.create(secret: .passphrase(passphrase), at: paths.vaultHeader, rounds: 1 << 10)
        try FieldSettings(server: "http://127.0.0.1:1", user: "anna", role: "caseworker", device: String(repeating: "ab", count: 16))
            .save(to: paths)
        return paths
    }

    /// A new home, opened on `clock`.
    static func opened(clock: any WallClock = SystemWallClock()) throws -> FieldSession {
        try FieldSession.open(paths: try home(), secret: { .passphrase(passphrase) }, clock: clock)
    }
}
