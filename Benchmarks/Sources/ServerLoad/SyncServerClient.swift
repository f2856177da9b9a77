import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SyncCore

/// The HTTP side of a field laptop (Protocol.md §10), against 127.0.0.1 only.
final class SyncServerClient: Sendable {
    let http: HTTPClient
    let base: String

    /// - Parameter connections: the most HTTP/1.1 connections kept open at once
    ///   (one per concurrently simulated device).
    init(port: Int, connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(300), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        base = "http://127.0.0.1:\(port)"
    }

    func shutdown() async throws { try await http.shutdown() }

    struct Reply {
        let status: Int
        let body: ByteBuffer

        var data: Data { Data(buffer: body) }
        var text: String { String(buffer: body) }

        func json() throws -> JSONValue { try OperationCodec.parse(data, path: "") }
    }

    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, body: Data? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let buffer = try await response.body.collect(upTo: 512 << 20)
        return Reply(status: Int(response.status.code), body: buffer)
    }

    /// Signs in and registers a new device (POST /v1/devices).
    func login(_ user: String, password: String, deviceName: String, seed: UInt64) async throws -> SimulatedDevice {
        let body = DeviceSignIn(user: user, password: password, deviceName: deviceName).encoded()
        let reply = try await send(.POST, "/v1/devices", body: body)
        guard reply.status == 201 else { throw LoadError("login of \(user) answered \(reply.status): \(reply.text)") }
        guard let answer = try? DeviceSignInAnswer.decode(reply.data), let userID = UserID(user)
        else { throw LoadError("login of \(user): unexpected answer \(reply.text)") }
        return SimulatedDevice(user: userID, token: answer.token, replica: answer.device, seed: seed)
    }

    /// POST /v1/push; throws unless the server stored the batch (200).
    func push(_ operations: [SyncCore.Operation], from device: inout SimulatedDevice) async throws {
        let reply = try await send(.POST, "/v1/push", token: device.token, body: device.pushBody(operations))
        guard reply.status == 200 else { throw LoadError("push answered \(reply.status): \(reply.text)") }
    }

    /// One GET /v1/pull page, undecoded.
    func pullPage(_ device: SimulatedDevice, limit: Int) async throws -> Reply {
        let query = (device.cursor.map { "cursor=\($0)&" } ?? "") + "limit=\(limit)"
        let reply = try await send(.GET, "/v1/pull?\(query)", token: device.token)
        guard reply.status == 200 else { throw LoadError("pull answered \(reply.status): \(reply.text)") }
        return reply
    }

    /// Operations held by the server (GET /health).
    func operationCount() async throws -> Int {
        let reply = try await send(.GET, "/health")
        guard reply.status == 200, let count = try reply.json().member("operations")?.integerValue else {
            throw LoadError("/health answered \(reply.status): \(reply.text)")
        }
        return Int(count)
    }
}
