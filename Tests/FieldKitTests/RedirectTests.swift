import FieldKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

/// The laptop never follows a redirect: it would send the password or a
/// batch of case data again, wherever the answer points, plain http included.
@Suite struct RedirectTests {
    @Test func aSignInAnsweredWithARedirectGoesNowhereElse() async throws {
        let elsewhere = Mutex(0)
        let router = Router()
        router.post("/v1/devices") { _, _ -> Response in
            Response(status: .temporaryRedirect, headers: [.location: "/elsewhere/v1/devices"])
        }
        router.post("/elsewhere/v1/devices") { _, _ -> HTTPResponse.Status in
            elsewhere.withLock { $0 += 1 }
            return .created
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let home = FileManager.default.temporaryDirectory.appendingPathComponent("redirect-\(UUID().uuidString)")
            await #expect {
                try await FieldSession.login(
                    paths: FieldPaths.resolve(home: home.path), server: "http://127.0.0.1:\(client.port!)", user: "anna",
                    password: "correct horse battery", deviceName: "anna's laptop",
                    secret: { .passphrase("laptop secret of anna") })
            } throws: { error in
                "\(error)".contains("redirect")
            }
        }
        #expect(elsewhere.withLock { $0 } == 0, "the password was sent where the redirect pointed")
    }
}
