import FieldKit
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdTLS
import NIOSSL
import ReviewPages
import SyncService
import Testing

/// A sync server behind TLS with a certificate from the municipality's own
/// CA (the test CA under Fixtures/TLS): the laptop signs in and syncs once it
/// is given that CA with --ca-file, and refuses the server without it, or with
/// another CA, before the password is sent.
@Suite struct TLSServerTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/TLS")
    static var caFile: String { fixtures.appendingPathComponent("ca.pem").path }
    static var otherCAFile: String { fixtures.appendingPathComponent("other-ca.pem").path }

    static func withTLSServer(_ body: @escaping @Sendable (ServerDatabase, String) async throws -> Void) async throws {
        let database = try ServerDatabase.inMemory()
        try await database.addUser("anna", role: .caseworker, password: TwoLaptopsTests.password, bcryptCost: 4)
        let chain = try NIOSSLCertificate.fromPEMFile(fixtures.appendingPathComponent("server.pem").path)
        let key = try NIOSSLPrivateKey(file: fixtures.appendingPathComponent("server.key").path, format: .pem)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        let app = Application(
            router: buildRouter(database: database, frontEnds: [ReviewPages()]), server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(database, "https://127.0.0.1:\(client.port!)")
        }
    }

    static func newPaths() -> FieldPaths {
        FieldPaths.resolve(home: FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)").path)
    }

    static func login(_ server: String, caFile: String?, paths: FieldPaths = newPaths()) async throws -> FieldSession {
        try await FieldSession.login(
            paths: paths, server: server, user: "anna", password: TwoLaptopsTests.password,
            deviceName: "anna's laptop", caFile: caFile, secret: { .passphrase("laptop secret of anna") })
    }

    @Test func withTheMunicipalitysCAFileTheLaptopSignsInAndSyncs() async throws {
        try await Self.withTLSServer { database, server in
            // The CA given at sign-in is copied into the laptop's own settings:
            // the file it came from may change or go without effect.
            let given = FileManager.default.temporaryDirectory.appendingPathComponent("ca-\(UUID().uuidString).pem")
            try FileManager.default.copyItem(atPath: Self.caFile, toPath: given.path)
            let anna = try await Self.login(server, caFile: given.path)
            #expect(anna.settings.caFile == anna.paths.caCertificates.path)
            try FileManager.default.removeItem(at: given)
            try FileManager.default.copyItem(atPath: Self.otherCAFile, toPath: given.path)
            let caseID = try await TwoLaptopsTests.newCase(on: anna, members: ["anna"])
            _ = try await TwoLaptopsTests.newNote(on: anna, in: caseID, body: "Sendt krypteret.")
            // A later sync, in a new process as it were, uses the CA kept in the settings.
            let reopened = try FieldSession.open(paths: anna.paths, secret: { .passphrase("laptop secret of anna") })
            #expect(try await reopened.sync().pushed == 4)
        }
    }

    @Test func withoutTheCAFileOrWithAnotherCATheServerIsRefused() async throws {
        try await Self.withTLSServer { database, server in
            for caFile in [nil, Self.otherCAFile] {
                let paths = Self.newPaths()
                await #expect {
                    try await Self.login(server, caFile: caFile, paths: paths)
                } throws: { error in
                    guard case FieldError.untrustedServer = error else { return false }
                    return "\(error)".contains("--ca-file")
                }
                #expect(!FileManager.default.fileExists(atPath: paths.settings.path))
            }
            // The server never saw a sign-in: no device was registered.
            let devices = try await database.devices()
            #expect(devices.isEmpty)
        }
    }

    @Test func anUnreadableCAFileIsRefusedBeforeTheNetwork() async throws {
        let notACertificate = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem")
        try Data("not a certificate".utf8).write(to: notACertificate)
        for caFile in [notACertificate.path, "/nonexistent/ca.pem"] {
            await #expect {
                try await Self.login("https://sync.kommune.invalid", caFile: caFile)
            } throws: { error in
                "\(error)".contains("CA certificate file")
            }
        }
    }
}
