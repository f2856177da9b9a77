import Foundation
import Hummingbird
import HummingbirdTesting
import SyncCore
@testable import SyncService
import Testing

/// The 405 answers come from the routes themselves: every path that
/// openapi.json describes answers another method with 405 and an `Allow`
/// naming exactly the methods it documents.
@Suite struct AllowedMethodsTests {
    static let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete]

    @Test func everyDocumentedPathAnswersAnotherMethodWith405AndItsMethods() async throws {
        guard case .object(let paths)? = try OperationCodec.parse(OpenAPIDocument.data, path: "").member("paths") else {
            Issue.record("openapi.json has no paths")
            return
        }
        let documented: [(path: String, methods: [HTTPRequest.Method])] = paths.keys.sorted().map { path in
            (path, Self.order.filter { paths[path]?.member($0.rawValue.lowercased()) != nil })
        }
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            for (path, methods) in documented {
                let other = try #require(Self.order.first { $0 != .head && !methods.contains($0) })
                let reply = try await client.call(other, path)
                #expect(reply.status == .methodNotAllowed && reply.problemCode == "method-not-allowed", "\(other) \(path): \(reply.raw)")
                #expect(reply.headers[.allow] == methods.map(\.rawValue).joined(separator: ", "), "\(path)")
            }
        }
    }
}
