@testable import FieldKit
import Foundation
import Testing

/// The laptop sends the password and the device token only over https, or
/// over plain http to this machine itself.
@Suite struct ServerAddressTests {
    @Test(arguments: [
        "https://sync.kommune.example",
        "https://sync.kommune.example:8443/",
        "https://sync.kommune.example/casework",
        "HTTPS://SYNC.KOMMUNE.EXAMPLE",
        "https://10.0.0.5:8443",
        "http://127.0.0.1:8080",
        "http://127.0.0.1",
        "http://127.255.255.254:9000",
        "http://localhost:8080",
        "HTTP://LOCALHOST:8080",
        "http://[::1]:8080",
        "http://[0:0:0:0:0:0:0:1]",
    ])
    func accepted(address: String) throws {
        let parsed = try ServerAddress(address)
        #expect(parsed.url.hasPrefix("http"), "the scheme is kept in lower case")
        #expect(!parsed.url.hasSuffix("/"))
    }

    @Test(arguments: [
        "http://sync.kommune.example:8080",
        "HTTP://SYNC.KOMMUNE.EXAMPLE",
        "http://10.0.0.5",
        "http://127.0.0.1.evil.example",
        "http://127.0.0.1@evil.example",
        "http://127.0.0.1\\@evil.example",
        "http://localhost.evil.example",
        "http://evil.example#@127.0.0.1",
        "http://evil.example?@127.0.0.1",
        // The resolver may read these as loopback, or not: never trusted.
        "http://localhost.",
        "http://127.1",
        "http://0x7f.0.0.1",
        "http://0177.0.0.1",
        "http://%31%32%37.0.0.1",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0",
        "http://[::]",
        "http://128.0.0.1",
        "https://user:password@sync.kommune.example",
        "ftp://sync.kommune.example",
        "sync.kommune.example",
        "http:127.0.0.1",
        "http:///127.0.0.1",
        "not a url",
        "",
    ])
    func refused(address: String) {
        #expect(throws: FieldError.self) { try ServerAddress(address) }
    }

    @Test func aPlainHttpAddressElsewhereIsRefusedWithOneLineThatSaysHttps() {
        #expect {
            try ServerAddress("http://sync.kommune.example:8080")
        } throws: { error in
            let text = "\(error)"
            return text.contains("use https://") && !text.contains("\n")
        }
    }

    @Test func aSignInToAPlainHttpServerElsewhereStopsBeforeAnythingIsSentOrWritten() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("plain-http-\(UUID().uuidString)")
        // A host that does not exist: any attempt at the network would fail
        // differently ("could not be reached"), and later than this.
        await #expect {
            try await FieldSession.login(
                paths: FieldPaths.resolve(home: home.path), server: "http://sync.kommune.invalid:8080", user: "anna",
                password: "correct horse battery", deviceName: "anna's laptop",
                secret: { Issue.record("the passphrase was asked for"); return .passphrase("laptop secret of anna") })
        } throws: { error in
            "\(error)".contains("use https://")
        }
        #expect(!FileManager.default.fileExists(atPath: home.path), "files were written for a refused sign-in")
    }

    @Test func fieldLoginToAPlainHttpServerElsewhereSaysUseHttpsInOneLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: FieldCommandLineTests.executable))
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        let run = try FieldCommandLineTests.field(
            ["login", "--server", "http://sync.kommune.invalid:8080", "--user", "anna", "--password-stdin"], home: home, input: "x\n")
        #expect(run.status != 0)
        #expect(run.error.split(separator: "\n").count == 1 && run.error.contains("use https://"), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: home))
    }

    @Test func aSyncWithSettingsThatNameAPlainHttpServerElsewhereSendsNoToken() async throws {
        let connection = ServerConnection(baseURL: "http://sync.kommune.invalid", token: "cwt_not-to-be-sent")
        await #expect {
            try await connection.call(.get, "/v1/pull")
        } throws: { error in
            "\(error)".contains("use https://")
        }
    }
}
