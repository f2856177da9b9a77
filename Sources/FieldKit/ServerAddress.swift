import Foundation
import SyncCore

/// The address of a sync server, as the laptop agrees to use it.
///
/// The caseworker's password and then the device token travel to this
/// address on every request, so it must be `https://`. Plain `http://` is
/// accepted only to this machine itself (127.0.0.0/8, ::1, localhost), where
/// nothing crosses a network: a server on the same laptop, the demo and the
/// tests. The loopback test is strict, and refuses every spelling it cannot
/// be sure of (`127.1`, `0x7f.0.0.1`, `localhost.`, percent-encoded hosts,
/// `http://127.0.0.1@evil.example`), because the system's resolver may
/// read those differently from this check.
public struct ServerAddress: Sendable, Equatable, CustomStringConvertible {
    /// The base URL, with the scheme in lower case and no trailing slash.
    public let url: String
    public let isEncrypted: Bool

    public var description: String { url }

    public init(_ text: String) throws {
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        func invalid() -> FieldError {
            FieldError.invalidArgument("--server must be a URL such as https://sync.kommune.example, not '\(text)'")
        }
        guard let parsed = URL(string: trimmed), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = parsed.host(percentEncoded: true), !host.isEmpty, !host.contains("%"),
              parsed.query == nil, parsed.fragment == nil
        else { throw invalid() }
        guard parsed.user == nil, parsed.password == nil else {
            throw FieldError.invalidArgument("--server must not hold a user name or password ('\(text)'); give only https://host[:port]")
        }
        if scheme == "http" && !LoopbackHost.contains(host) {
            throw FieldError.invalidArgument(
                "refusing \(text): plain http would send your password and the device token unencrypted; use https:// (http only to 127.0.0.1, ::1 or localhost)")
        }
        url = scheme + trimmed.dropFirst(scheme.count)
        isEncrypted = scheme == "https"
    }

}
