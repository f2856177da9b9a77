import Foundation
import SyncCore
import NIOSSL

/// How the server's connections are protected: the case data it serves is
/// about children, so it never crosses a network in clear.
public enum TransportSecurity: Sendable, Equatable {
    /// Plain HTTP: allowed only on a loopback address, where nothing leaves the machine.
    case plainHTTP
    /// HTTPS served by the server itself, with a PEM certificate chain and key.
    case tls(certificatePath: String, keyPath: String)
    /// Plain HTTP behind a proxy that terminates TLS; the operator vouches for it.
    case behindTLSProxy

    /// The scheme browsers see: behind a TLS proxy that is https, though the
    /// server itself speaks plain HTTP.
    public var browserScheme: String {
        self == .plainHTTP ? "http" : "https"
    }

    /// Cookies get `Secure` whenever browsers reach the server over TLS.
    public var cookiesAreSecure: Bool { self != .plainHTTP }

    /// Refuses to serve plain HTTP on an address other machines can reach.
    /// A host name is not resolved here: only the literal loopback forms
    /// (`localhost`, `127.0.0.0/8`, `::1`) count as loopback.
    public func check(host: String) throws(ServerStartRefusal) {
        guard self == .plainHTTP, !LoopbackHost.contains(host) else { return }
        throw ServerStartRefusal(
            "refusing to serve plain HTTP on \(host), which other machines can reach: pass --tls-cert and --tls-key "
                + "(SYNC_TLS_CERT, SYNC_TLS_KEY), or --behind-tls-proxy (SYNC_BEHIND_TLS_PROXY=1) if a proxy terminates TLS")
    }


    /// The server side of TLS: TLS 1.2 at least, the chain and key read once at start.
    func serverTLSConfiguration() throws(ServerStartRefusal) -> TLSConfiguration? {
        guard case .tls(let certificatePath, let keyPath) = self else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServerStartRefusal("cannot read the TLS certificate chain at \(certificatePath) (PEM expected): \(error)")
        }
        guard !chain.isEmpty else { throw ServerStartRefusal("\(certificatePath) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ServerStartRefusal("cannot read the TLS private key at \(keyPath) (unencrypted PEM expected): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        // Building the context checks that the key belongs to the certificate,
        // here at start rather than at the first connection.
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerStartRefusal("the TLS key at \(keyPath) does not fit the certificate at \(certificatePath): \(error)")
        }
        return configuration
    }
}
