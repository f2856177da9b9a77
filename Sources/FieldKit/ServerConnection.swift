import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import SyncCore

/// The HTTP side of Protocol.md §10, for one laptop.
struct ServerConnection: Sendable {
    let baseURL: String
    let token: String?
    /// The municipality's CA certificate (PEM): when given, the server's
    /// certificate must chain to it and to nothing else.
    var caFile: String? = nil
    var client: HTTPClient { Self.client }

    /// One client for the process. It does not retry failed connection
    /// attempts itself (that would hide an unreachable server until the request
    /// deadline): `SyncEngine` retries with backoff and then tells the user.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool.retryConnectionEstablishment = false
        // Never follow a redirect: it would send the request body (a password,
        // a batch of case data) again, to wherever `Location` says, over
        // plain http too, past the address checks.
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    struct Reply: Sendable {
        let status: Int
        let body: JSONValue

        /// The problem's code (Protocol.md §10.1), for a refusal.
        var problemCode: String? {
            guard status >= 400 else { return nil }
            return body.member("type")?.stringValue?.replacingOccurrences(of: "urn:casework-sync:problem:", with: "") ?? "http-\(status)"
        }

        /// The refusal as the laptop reports it, or nil for a success.
        var refusal: FieldError? {
            guard let code = problemCode else { return nil }
            let detail = body.member("detail")?.stringValue ?? "no detail"
            if code == "purge-required" { return .purged(detail) }
            if code == "unauthenticated" { return .signInUnknown(detail) }
            if code == "storage-full" { return .serverStorageFull }
            if code == "clock-ahead", let serverTime = body.member("serverTime")?.integerValue, serverTime > 0 {
                let refused = (body.member("operations")?.arrayValue ?? []).compactMap { $0.stringValue.flatMap(OperationID.init) }
                return .clockAhead(serverTime: UInt64(serverTime), operations: refused, detail: detail)
            }
            return .serverRefused(status: status, code: code, detail: detail)
        }

        /// The index of the operation a refused push names in its `path`
        /// (`operations[3].caseID`), if it names one.
        var refusedOperationIndex: Int? {
            guard let path = body.member("path")?.stringValue, path.hasPrefix("operations["),
                  let close = path.firstIndex(of: "]") else { return nil }
            return Int(path[path.index(path.startIndex, offsetBy: "operations[".count)..<close])
        }
    }

    enum Method { case get, post, delete }

    /// Trust in exactly the CA certificates of `caFile`. Not added to the
    /// system's roots: a server of the municipality's own CA has no reason to
    /// present a certificate from any other.
    static func tlsConfiguration(trusting caFile: String) throws -> TLSConfiguration {
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw FieldError.invalidArgument("cannot read the CA certificate file \(caFile): it must hold PEM certificates (\(error))")
        }
        guard !certificates.isEmpty else {
            throw FieldError.invalidArgument("the CA certificate file \(caFile) holds no certificate")
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(certificates)
        return configuration
    }

    /// Every request goes through the address check, so settings written by an
    /// earlier `field` with a plain http address to another machine are
    /// refused too, before a token is sent. A refusal by the server throws.
    func call(_ method: Method, _ path: String, json: JSONValue? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Reply {
        let reply = try await exchange(method, path, json: json, timeout: timeout)
        if let refusal = reply.refusal { throw refusal }
        return reply
    }

    /// Like `call`, but a refusal by the server is returned, for a caller that
    /// acts on the problem's code and path. A network failure, an untrusted
    /// certificate and a redirect still throw.
    func exchange(_ method: Method, _ path: String, json: JSONValue? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Reply {
        let address = try ServerAddress(baseURL)
        var request = HTTPClientRequest(url: address.url + path)
        if address.isEncrypted, let caFile { request.tlsConfiguration = try Self.tlsConfiguration(trusting: caFile) }
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
            if Self.isCertificateFailure(error) { throw FieldError.untrustedServer(address.url) }
            throw FieldError.serverUnreachable(Self.summary(of: error))
        }
        let body = (try? OperationCodec.parse(Data(bytes.readableBytesView), path: "")) ?? .null
        let status = Int(response.status.code)
        if (300..<400).contains(status) {
            let location = response.headers.first(name: "Location") ?? "nowhere"
            throw FieldError.serverRefused(
                status: status, code: "redirect",
                detail: "the server sent this laptop to \(location); set the server's own https address with field login")
        }
        return Reply(status: status, body: body)
    }

    /// A server whose certificate does not verify will not verify on a retry:
    /// it is told at once, not retried like a network failure.
    static func isCertificateFailure(_ error: any Error) -> Bool {
        error is NIOSSLExtraError || String(describing: error).contains("CERTIFICATE_VERIFY_FAILED")
    }

    static func summary(of error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("deadlineExceeded") || text.contains("readTimeout") { return "timed out" }
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
