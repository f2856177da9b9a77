import Foundation

/// Whether a host names this machine without any doubt, as both ends decide
/// where plain HTTP is allowed (the server listening, the laptop sending):
/// `localhost`, `127.0.0.0/8` in plain dotted form, `::1`, with or without
/// the brackets of a URL. inet_pton takes only four plain decimal parts, so
/// octal, hex and shortened forms (`0x7f.1`, `127.1`) are not loopback here.
public enum LoopbackHost {
    public static func contains(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.lowercased() == "localhost" { return true }
        var ipv4 = in_addr()
        if inet_pton(AF_INET, bare, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, bare, &ipv6) == 1 {
            return withUnsafeBytes(of: &ipv6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        }
        return false
    }
}
