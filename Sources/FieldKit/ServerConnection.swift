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
        let body: Data

        /// The problem document of a refusal, nil for a success. A refusal
        /// whose body is no problem document (a proxy's page) is `http-<status>`.
        var problem: ProblemDocument? {
            guard status >= 400 else { return nil }
            return (try? ProblemDocument.decode(body))
                ?? ProblemDocument(code: "http-\(status)", title: "", status: status, detail: "no detail")
        }

        /// The problem's code (Protocol.md §10.1), for a refusal.
        var problemCode: String? { problem?.code }

        /// The refusal as the laptop reports it, or nil for a success.
        var refusal: FieldError? {
            guard let problem else { return nil }
            switch problem.code {
            case "purge-required": return .purged(problem.detail)
            case "unauthenticated": return .signInUnknown(problem.detail)
            case "storage-full": return .serverStorageFull
            case "clock-ahead":
                if let serverTime = problem.serverTime, serverTime > 0 {
                    return .clockAhead(serverTime: UInt64(serverTime), operations: problem.operations, detail: problem.detail)
                }
            default: break
            }
            return .serverRefused(status: status, code: problem.code, detail: problem.detail)
        }

        /// The answer of a success, as the wire type `decode` reads it; an
        /// answer not of its form is the server's fault, reported as such.
        func decoded<Document>(_ decode: (Data) throws(WireError) -> Document) throws -> Document {
            do {
                return try decode(body)
            } catch {
                throw FieldError.serverRefused(status: status, code: "bad-answer", detail: "the server's answer is not of the form the protocol gives: \(error)")
            }
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
    func call(_ method: Method, _ path: String, body: Data? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Reply {
        let reply = try await exchange(method, path, body: body, timeout: timeout)
        if let refusal = reply.refusal { throw refusal }
        return reply
    }

    /// Like `call`, but a refusal by the server is returned, for a caller that
    /// acts on the problem's code and path. A network failure, an untrusted
    /// certificate and a redirect still throw.
    func exchange(_ method: Method, _ path: String, body: Data? = nil, timeout: TimeAmount = .seconds(60)) async throws -> Reply {
        let address = try ServerAddress(baseURL)
        var request = HTTPClientRequest(url: address.url + path)
        if address.isEncrypted, let caFile { request.tlsConfiguration = try Self.tlsConfiguration(trusting: caFile) }
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .delete: request.method = .DELETE
        }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: Array(body)))
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
        let status = Int(response.status.code)
        if (300..<400).contains(status) {
            let location = response.headers.first(name: "Location") ?? "nowhere"
            throw FieldError.serverRefused(
                status: status, code: "redirect",
                detail: "the server sent this laptop to \(location); set the server's own https address with field login")
        }
        return Reply(status: status, body: Data(bytes.readableBytesView))
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
