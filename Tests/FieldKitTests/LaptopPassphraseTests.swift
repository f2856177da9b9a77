@testable import FieldKit
import Foundation
import Testing

/// A passphrase chosen for a new vault must meet the shared PasswordPolicy; a
/// vault that exists opens with the passphrase it has.
@Suite struct LaptopPassphraseTests {
    static func newPaths() -> FieldPaths {
        FieldPaths.resolve(home: FileManager.default.temporaryDirectory.appendingPathComponent("passphrase-\(UUID().uuidString)").path)
    }

    @Test(arguments: ["kort", "aaaaaaaaaaaaaaaa", "Sommerfugl2024!", "password1234"])
    func aWeakPassphraseForANewVaultIsRefusedBeforeTheServerIsAsked(passphrase: String) async throws {
        let paths = Self.newPaths()
        // Nothing listens on port 1: had the server been asked, the error would
        // say that it could not be reached.
        await #expect {
            try await FieldSession.login(
                paths: paths, server: "http://127.0.0.1:1", user: "anna", password: TwoLaptopsTests.password,
                deviceName: "anna's laptop", secret: { .passphrase(passphrase) })
        } throws: { error in
            "\(error)".hasPrefix("choose another passphrase for the local data: ")
        }
        #expect(!FileManager.default.fileExists(atPath: paths.vaultHeader.path))
    }

    @Test func aStrongPassphraseCreatesTheVault() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let paths = Self.newPaths()
            _ = try await FieldSession.login(
                paths: paths, server: server, user: "anna", password: TwoLaptopsTests.password,
                deviceName: "anna's laptop", secret: { .passphrase("hest batteri hæfteklamme") })
            #expect(FileManager.default.fileExists(atPath: paths.vaultHeader.path))
        }
    }

    @Test func anExistingVaultOpensAndSignsInAgainWithTheWeakPassphraseItHas() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            // A vault made before the rule, under a passphrase it would refuse.
            let paths = Self.newPaths()
            try paths.createDirectories()
            _ = try Vault.create(secret: .passphrase("kort"), at: paths.vaultHeader, rounds: 1 << 10)
            try FieldSettings(server: server, user: "anna", role: "caseworker", device: String(repeating: "ab", count: 16)).save(to: paths)
            #expect(try FieldSession.open(paths: paths, secret: { .passphrase("kort") }).settings.user == "anna")
            let signedIn = try await FieldSession.login(
                paths: paths, server: server, user: "anna", password: TwoLaptopsTests.password,
                deviceName: "anna's laptop", secret: { .passphrase("kort") })
            #expect(signedIn.token != nil)
        }
    }
}
