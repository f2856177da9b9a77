import Foundation
import Hummingbird
import HummingbirdTesting
import SyncCore
import SyncService
import Testing

/// Every kind of bad input gets a problem document with a stable type, never a
/// 5xx and never a partial write (`call` checks the media type and the status).
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let label: String
        let method: HTTPRequest.Method
        let uri: String
        let body: String?
        let status: HTTPResponse.Status
        let code: String
        var testDescription: String { label }
    }

    static let validOperation = #"{"author":"anna","case":"c0ffee00112233445566778899aabbcc","entity":"c0ffee00112233445566778899aabbcc","entityType":"case","id":"01a207a232800000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10","kind":"create","seq":1,"version":1}"#

    static let cases: [Case] = [
        Case(label: "malformed JSON", method: .post, uri: "/v1/push", body: #"{"batch":"#, status: .badRequest, code: "malformed-json"),
        Case(label: "body not an object", method: .post, uri: "/v1/push", body: "[]", status: .badRequest, code: "wrong-type"),
        Case(label: "missing batch", method: .post, uri: "/v1/push", body: #"{"operations":[]}"#, status: .badRequest, code: "missing-member"),
        Case(label: "batch of the wrong type", method: .post, uri: "/v1/push", body: #"{"batch":7,"operations":[]}"#, status: .badRequest, code: "wrong-type"),
        Case(label: "batch id with spaces", method: .post, uri: "/v1/push", body: #"{"batch":"a b","operations":[]}"#, status: .badRequest, code: "invalid-identifier"),
        Case(label: "missing operations", method: .post, uri: "/v1/push", body: #"{"batch":"x"}"#, status: .badRequest, code: "missing-member"),
        Case(label: "unknown member", method: .post, uri: "/v1/push", body: #"{"batch":"x","operations":[],"extra":1}"#, status: .badRequest, code: "unknown-member"),
        Case(label: "operations not an array", method: .post, uri: "/v1/push", body: #"{"batch":"x","operations":{}}"#, status: .unprocessableContent, code: "wrong-type"),
        Case(label: "unknown operation version", method: .post, uri: "/v1/push",
             body: #"{"batch":"x","operations":["# + validOperation.replacingOccurrences(of: #""version":1"#, with: #""version":9"#) + "]}",
             status: .unprocessableContent, code: "unsupported-version"),
        Case(label: "operation id of the wrong form", method: .post, uri: "/v1/push",
             body: #"{"batch":"x","operations":["# + validOperation.replacingOccurrences(of: "01a207a232800000-", with: "zz-") + "]}",
             status: .unprocessableContent, code: "invalid-identifier"),
        Case(label: "too many operations", method: .post, uri: "/v1/push",
             body: #"{"batch":"x","operations":["# + Array(repeating: validOperation, count: 1001).joined(separator: ",") + "]}",
             status: .unprocessableContent, code: "too-many-operations"),
        Case(label: "a reason of white space only", method: .post, uri: "/v1/push",
             body: #"{"batch":"x","operations":["# + validOperation.replacingOccurrences(of: #""kind":"create""#, with: #""kind":"resolve","field":"title","value":"t","supersedes":["01a207a232800000-3f6c1e0a9b2d4c8e8f7a6b5c4d3e2f10"],"reason":" \u00a0\u3000""#)
                .replacingOccurrences(of: #""entityType":"case","#, with: "") + "]}",
             status: .unprocessableContent, code: "empty-text"),
        Case(label: "reads of the wrong form", method: .post, uri: "/v1/push", body: #"{"batch":"x","operations":[],"reads":[{"at":1}]}"#, status: .badRequest, code: "invalid-timestamp"),
        Case(label: "unknown cursor", method: .get, uri: "/v1/pull?cursor=c123", body: nil, status: .conflict, code: "unknown-cursor"),
        Case(label: "limit out of range", method: .get, uri: "/v1/pull?limit=0", body: nil, status: .badRequest, code: "invalid-parameter"),
        Case(label: "limit not a number", method: .get, uri: "/v1/pull?limit=ten", body: nil, status: .badRequest, code: "invalid-parameter"),
        Case(label: "conflict status unknown", method: .get, uri: "/v1/conflicts?status=maybe", body: nil, status: .badRequest, code: "invalid-parameter"),
        Case(label: "conflict case id forged", method: .get, uri: "/v1/conflicts?case=../../etc", body: nil, status: .badRequest, code: "invalid-parameter"),
        Case(label: "audit user invalid", method: .get, uri: "/v1/audit?user=Robert%20Tables", body: nil, status: .badRequest, code: "invalid-parameter"),
        Case(label: "undeclared method", method: .trace, uri: "/v1/push", body: nil, status: .methodNotAllowed, code: "method-not-allowed"),
        Case(label: "unknown route", method: .get, uri: "/v1/nothing-here", body: nil, status: .notFound, code: "not-found"),
        Case(label: "login with wrong types", method: .post, uri: "/v1/devices", body: #"{"user":1,"password":"x","deviceName":"y"}"#, status: .badRequest, code: "wrong-type"),
        Case(label: "login missing password", method: .post, uri: "/v1/devices", body: #"{"user":"anna","deviceName":"y"}"#, status: .badRequest, code: "missing-member"),
    ]

    @Test(arguments: cases)
    func badInputIsAProblemDocument(input: Case) async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let dorte = try await client.login("dorte")
            let reply = try await client.call(input.method, input.uri, token: dorte.token, rawBody: input.body)
            #expect(reply.status == input.status, "\(input.label): \(reply.raw)")
            #expect(reply.problemCode == input.code, "\(input.label): \(reply.raw)")
            #expect(reply.problem?.detail.isEmpty == false)
            // Protocol.md §10.1, 400 or 422: a 422 is about the value of
            // `operations`, a 400 about the document around it.
            let path = reply.problem?.path ?? ""
            if reply.status == .unprocessableContent { #expect(path.hasPrefix("operations"), "\(input.label): \(reply.raw)") }
            if reply.status == .badRequest { #expect(!path.hasPrefix("operations["), "\(input.label): \(reply.raw)") }
            #expect(try await harness.database.operationCount() == 0)
        }
    }

    @Test func anOversizeBodyIsRefusedWithTheLimitStated() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let anna = try await client.login("anna")
            let huge = #"{"batch":"x","operations":[],"padding":""# + String(repeating: "x", count: RequestLimits.maximumBodyBytes) + #""}"#
            let reply = try await client.call(.post, "/v1/push", token: anna.token, rawBody: huge)
            #expect(reply.status == .contentTooLarge && reply.problemCode == "body-too-large")
            #expect(reply.problem?.extensions["limit"] == .integer(Int64(RequestLimits.maximumBodyBytes)))
        }
    }

    @Test func missingAndWrongTokensAreUnauthenticated() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            for token: String? in [nil, "cwt_notarealtoken", "not even the right shape"] {
                let reply = try await client.call(.get, "/v1/pull", token: token)
                #expect(reply.status == .unauthorized && reply.problemCode == "unauthenticated")
                #expect(reply.headers[.wwwAuthenticate] == "Bearer")
            }
            let anna = try await client.login("anna")
            _ = try await client.call(.delete, "/v1/devices/current", token: anna.token)
            let afterLogout = try await client.call(.get, "/v1/pull", token: anna.token)
            #expect(afterLogout.problemCode == "unauthenticated")
        }
    }

    @Test func aWrongMediaTypeIsRefused() async throws {
        let harness = try await ServerHarness.make()
        try await harness.test { client in
            let anna = try await client.login("anna")
            var headers = HTTPFields()
            headers[.authorization] = "Bearer \(anna.token)"
            headers[.contentType] = "text/plain"
            let response = try await client.execute(uri: "/v1/push", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(response.status == .unsupportedMediaType)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }
}
