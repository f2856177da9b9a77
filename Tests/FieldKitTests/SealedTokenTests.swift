@testable import FieldKit
import Foundation
import GRDB
import Testing

/// The device token opens every case of the user on the server. It is kept
/// sealed in the vault like the case data, so that a copy of the laptop's
/// files without the passphrase or key file gives nothing.
@Suite struct SealedTokenTests {
    static func home(of paths: FieldPaths) -> URL { paths.data.deletingLastPathComponent() }

    /// Every file under `directory`, at any depth, that holds `needle`.
    static func files(under directory: URL, holding needle: String) throws -> [String] {
        var found: [String] = []
        let enumerator = try #require(FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]))
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            if try Data(contentsOf: url).range(of: Data(needle.utf8)) != nil { found.append(url.path) }
        }
        return found
    }

    static func copy(_ home: URL) throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("copied-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: home, to: copy)
        return copy
    }

    @Test func afterSignInNoFileOfTheLaptopHoldsTheToken() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let token = try #require(anna.token)
            #expect(token.hasPrefix("cwt_"))
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Hjemmebesøg.")
            _ = try await anna.sync()
            let home = Self.home(of: anna.paths)
            #expect(try Self.files(under: home, holding: token).isEmpty)
            // Nor any part of it long enough to be of use.
            #expect(try Self.files(under: home, holding: String(token.suffix(24))).isEmpty)
            #expect(!FileManager.default.fileExists(atPath: anna.paths.legacyPlainToken.path))

            // Reopened with the passphrase, the laptop still has it and syncs.
            let reopened = try FieldSession.open(paths: anna.paths, secret: { .passphrase("laptop secret of anna") })
            #expect(reopened.token == token)
            _ = try await reopened.sync()
        }
    }

    @Test func aCopyOfTheFilesWithoutThePassphraseGivesNoToken() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let token = try #require(anna.token)
            let copy = try Self.copy(Self.home(of: anna.paths))
            let paths = FieldPaths.resolve(home: copy.path)
            #expect(try Self.files(under: copy, holding: token).isEmpty)
            #expect(throws: FieldError.wrongPassphrase) {
                try FieldSession.open(paths: paths, secret: { .passphrase("a guess at the passphrase") })
            }
            // The database read directly: the token column holds a sealed box,
            // which another key does not open.
            let database = try DatabaseQueue(path: paths.database.path)
            let sealed = try #require(try await database.read { db in try Data.fetchOne(db, sql: "SELECT sealedToken FROM clientState") })
            #expect(sealed.range(of: Data(token.utf8)) == nil)
            let guessed = Vault(key: .init(size: .bits256))
            #expect(throws: (any Error).self) { try guessed.openToken(sealed) }
            // Only the passphrase opens it.
            #expect(try FieldSession.open(paths: paths, secret: { .passphrase("laptop secret of anna") }).token == token)
        }
    }

    @Test func aPlainTokenFileOfAnEarlierFieldIsSealedAndDeletedAtTheFirstUnlockedUse() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let token = try #require(anna.token)
            // The laptop as an earlier field left it: the token in a plain file
            // beside the data, none in the database.
            try await anna.replica.writer.write { db in try db.execute(sql: "UPDATE clientState SET sealedToken = NULL") }
            try FieldSettings.writePrivate(Data((token + "\n").utf8), to: anna.paths.legacyPlainToken)
            #expect(try FieldSession.open(paths: anna.paths, secret: { .passphrase("laptop secret of anna") }).token == token)
            #expect(!FileManager.default.fileExists(atPath: anna.paths.legacyPlainToken.path))
            #expect(try Self.files(under: Self.home(of: anna.paths), holding: token).isEmpty)
            // From now on it comes from the vault alone, and still works.
            let next = try FieldSession.open(paths: anna.paths, secret: { .passphrase("laptop secret of anna") })
            #expect(next.token == token)
            let caseID = try await TwoLaptopsTests.newCase(on: next, members: ["anna"])
            _ = try await TwoLaptopsTests.newNote(on: next, in: caseID, body: "Efter opdateringen.")
            #expect(try await next.sync().pushed == 4)
        }
    }

    @Test func aLockedLaptopShowsWhoItIsButNothingSealed() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        try await TwoLaptopsTests.withServer { _, server in
            let home = FieldCommandJourneyTests.newHome("anna")
            try await FieldCommandJourneyTests.login("anna", server: server, home: home)
            let locked = ["FIELD_PASSPHRASE": "", "XDG_RUNTIME_DIR": ""]
            let status = try await FieldCommandJourneyTests.field(["status", "--json"], home: home, environment: locked)
            #expect(status.status == 0, "\(status.error)")
            let shown = try FieldCommandJourneyTests.json(status.output)
            #expect(shown.member("locked") == .bool(true) && shown.member("user") == .string("anna"))
            #expect(shown.member("waitingOperations") == nil)
            // Other commands still need the key.
            #expect(try await FieldCommandJourneyTests.field(["case", "list"], home: home, environment: locked).status != 0)
        }
    }

    @Test func aLockedLaptopDoesNotTouchAPlainTokenFile() async throws {
        try await TwoLaptopsTests.withServer { _, server in
            let anna = try await TwoLaptopsTests.laptop("anna", server: server)
            let token = try #require(anna.token)
            try await anna.replica.writer.write { db in try db.execute(sql: "UPDATE clientState SET sealedToken = NULL") }
            try FieldSettings.writePrivate(Data(token.utf8), to: anna.paths.legacyPlainToken)
            #expect(throws: FieldError.wrongPassphrase) {
                try FieldSession.open(paths: anna.paths, secret: { .passphrase("not the passphrase") })
            }
            // Without the key it cannot be sealed, so it must not be lost either.
            #expect(FieldSettings.loadLegacyPlainToken(from: anna.paths) == token)
        }
    }
}
