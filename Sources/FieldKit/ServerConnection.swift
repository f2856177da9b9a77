import AsyncHTTPClient
import Foundation
import NIOCore
import SyncCore

/// The HTTP side of Protocol.md §10, for one laptop.
struct ServerConnection: Sendable {
    let baseURL: String
    let token: String?
    var client: HTTPClient { Self.client }

    /// One client for the process. It does not retry failed connection
    /// attempts itself (that would hide an unreachable server until the request
    /// deadline): `SyncEngine` retries with backoff and then tells the user.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    struct Reply: Sendable {
        let status: Int
        let body: JSONValue
    }

    enum Method { case get, post, delete }

    func call(_ method: Method, _ path: String, json: JSONValue? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .delete: request.method = .DELETE
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(OperationCodec.canonicalBytes(json))))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: timeout)
            bytes = try await response.body.collect(upTo: 256 * 1024 * 1024)
        } catch {
            throw FieldError.serverUnreachable(Self.summary(of: error))
        }
        let body = (try? OperationCodec.parse(Data(bytes.readableBytesView), path: "")) ?? .null
        let status = Int(response.status.code)
        if status >= 400 {
            let code = body.member("type")?.stringValue?.replacingOccurrences(of: "urn:casework-sync:problem:", with: "") ?? "http-\(status)"
            let detail = body.member("detail")?.stringValue ?? "no detail"
            if code == "purge-required" { throw FieldError.purged(detail) }
            throw FieldError.serverRefused(status: status, code: code, detail: detail)
        }
        return Reply(status: status, body: body)
    }

    static func summary(of error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") { return "timed out" }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
