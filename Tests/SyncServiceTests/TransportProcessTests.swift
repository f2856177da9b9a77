import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SyncCore
import SyncTestSupport
import Testing

/// The real `sync-server` process: HTTPS with a certificate of its own, the
/// refusal to serve plain HTTP to the network, and slow connections closed.
@Suite(.serialized) struct TransportProcessTests {
    @Test func theServerAnswersOverHTTPSWithTheCertificateItWasGiven() async throws {
        let files = try TemporaryCertificate()
        let server = try ServerProcess()
        try server.start(["--tls-cert", files.certificate, "--tls-key", files.key])

        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.certificate))
        let trusting = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: .init(tlsConfiguration: tls))
        let health = try await trusting.call(.get, "https://127.0.0.1:\(server.port)/health")
        #expect(health.status == 200)
        #expect(health.body.member("status") == "ok")
        try await trusting.shutdown()

        // A client that does not trust the certificate gets no answer, nor
        // does one that speaks plain HTTP to the port.
        var untrustingConfiguration = HTTPClient.Configuration()
        // Else the client retries the handshake until the request's deadline.
        untrustingConfiguration.connectionPool.retryConnectionEstablishment = false
        let untrusting = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: untrustingConfiguration)
        await #expect(throws: (any Error).self) {
            _ = try await untrusting.call(.get, "https://127.0.0.1:\(server.port)/health")
        }
        try await untrusting.shutdown()
        let plain = try RawConnection(port: server.port)
        try plain.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let answer = try await plain.readUntilClosed(within: .seconds(60))
        #expect(!answer.contains("HTTP/1.1 200"), "plain HTTP answered: \(answer)")
        #expect(server.terminate() == 0)
    }

    @Test func plainHTTPOnEveryAddressIsRefusedWithOneLineAndNothingIsCreated() throws {
        let server = try ServerProcess()
        let refused = try server.runCapturingErrors(["serve", "--host", "0.0.0.0", "--port", "0"])
        #expect(refused.status != 0)
        let lines = refused.errors.split(separator: "\n")
        #expect(lines.count == 1, "\(refused.errors)")
        #expect(refused.errors.contains("refusing to serve plain HTTP on 0.0.0.0"))
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory.path), "refused before the data directory")

        let halfTLS = try server.runCapturingErrors(["serve", "--host", "0.0.0.0", "--port", "0", "--tls-cert", "/tmp/cert.pem"])
        #expect(halfTLS.status != 0)
        #expect(halfTLS.errors.contains("--tls-cert and --tls-key"))
    }

    @Test func behindATLSProxyTheServerListensEverywhereAndWarns() throws {
        let server = try ServerProcess()
        try server.start(["--host", "0.0.0.0", "--behind-tls-proxy"])
        #expect(server.log.contains("--behind-tls-proxy"), "the warning is logged: \(server.log)")
        #expect(server.terminate() == 0)
    }

    /// 200 connections each send half a request head and then nothing, as a
    /// slow-loris client does, to a server that serves 64 connections at once.
    /// Every one of them is closed, and meanwhile `/health` and a laptop's
    /// push and pull are answered. Without the head timeout they stayed open
    /// for as long as the client liked.
    @Test func halfSentRequestsAreClosedAndTheServerKeepsAnswering() async throws {
        let server = try ServerProcess()
        #expect(try server.run(["user", "add", "anna", "--role", "caseworker", "--password-stdin", "--bcrypt-cost", "4"],
                               input: ServerProcessTests.password + "\n") == 0)
        // A long idle timeout: only the head and body timeouts can close these.
        try server.start(["--request-head-timeout", "1", "--request-body-timeout", "1", "--idle-timeout", "600", "--max-connections", "64"])
        let base = "http://127.0.0.1:\(server.port)"

        var sockets = try (0..<200).map { _ in try RawConnection(port: server.port) }
        for socket in sockets { try socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow") }
        // A body that never arrives in full is cut off too.
        let slowBody = try RawConnection(port: server.port)
        try slowBody.send("POST /v1/devices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user\":")
        sockets.append(slowBody)

        let client = HTTPClient.shared
        #expect(try await client.call(.get, "\(base)/health").status == 200)
        let login = try await client.signIn(at: base, "anna", password: ServerProcessTests.password, deviceName: "t")
        try #require(login.status == 201)
        let answer = try login.signedIn()
        var laptop = Laptop(user: UserID("anna")!, token: answer.token, replica: answer.device)
        let created = try laptop.newCase(title: "Familien Holm")
        #expect(try await client.call(.post, "\(base)/v1/push", token: laptop.token,
                                      document: Laptop.pushBody(created, batch: "b1")).status == 200)
        let pulled = try await client.call(.get, "\(base)/v1/pull", token: laptop.token)
        #expect(pulled.status == 200)
        #expect(try pulled.page().operations.count == created.count)

        // Generous: 201 connections, 64 at a time, one second each.
        let deadline = Date().addingTimeInterval(90)
        var open = sockets
        while !open.isEmpty, Date() < deadline {
            open.removeAll { $0.closedByPeer() }
            if !open.isEmpty { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(open.isEmpty, "\(open.count) of \(sockets.count) slow connections are still open")
        #expect(try await client.call(.get, "\(base)/health").status == 200)
        #expect(server.terminate() == 0)
    }
    /// Beyond --max-connections a new connection waits to be accepted rather
    /// than taking another file descriptor, and is served once a slot frees.
    @Test func connectionsBeyondTheLimitWaitForAFreeSlot() async throws {
        let server = try ServerProcess()
        try server.start(["--max-connections", "4", "--request-head-timeout", "600", "--idle-timeout", "600"])
        let base = "http://127.0.0.1:\(server.port)"
        let holders = try (0..<4).map { _ in try RawConnection(port: server.port) }
        // Each holder is answered once, so the server has surely accepted it
        // (a loaded machine may accept a later connection first), and then
        // keeps its connection open, holding a slot.
        for holder in holders {
            try holder.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = try await holder.readAnswer(within: .seconds(30))
            try #require(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        }

        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        var waiting = HTTPClientRequest(url: "\(base)/health")
        waiting.method = .GET
        // Not answered while four connections hold every slot (with no limit
        // it would be answered in milliseconds).
        await #expect(throws: (any Error).self) { _ = try await client.execute(waiting, timeout: .seconds(3)) }
        holders[0].shutdown()
        let answered = try await client.execute(waiting, timeout: .seconds(60))
        #expect(answered.status == .ok)
        try await client.shutdown()
        #expect(server.terminate() == 0)
    }
}

/// A self-signed certificate for 127.0.0.1 and localhost, made with openssl
/// in a temporary directory.
struct TemporaryCertificate: ~Copyable {
    let directory: URL
    var certificate: String { directory.appendingPathComponent("cert.pem").path }
    var key: String { directory.appendingPathComponent("key.pem").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        openssl.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory.appendingPathComponent("key.pem").path, "-out", directory.appendingPathComponent("cert.pem").path,
            "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        try #require(openssl.terminationStatus == 0, "openssl could not make a test certificate")
    }

    deinit { try? FileManager.default.removeItem(at: directory) }
}

/// A TCP connection driven byte by byte, for clients no HTTP library imitates.
final class RawConnection {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
    }

    func send(_ text: String) throws {
        let sent = Array(text.utf8).withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == text.utf8.count else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    }

    /// What the server sends until it closes the connection.
    func readUntilClosed(within limit: Duration) async throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { received += buffer[..<count]; continue }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// One small answer: what arrives until it holds a JSON body's end.
    func readAnswer(within limit: Duration) async throws -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline, !received.contains(UInt8(ascii: "}")) {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count > 0 { received += buffer[..<count]; continue }
            if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// True once the server has closed its end: a read finds the end of the
    /// stream, or a reset. Does not wait.
    func closedByPeer() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return true }
            if count > 0 { continue }  // an answer (a 408 or the like) before the close
            return errno != EAGAIN && errno != EWOULDBLOCK
        }
    }

    /// Closes both directions now, as a client that gives up does.
    func shutdown() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
    }

    deinit { close(descriptor) }
}
