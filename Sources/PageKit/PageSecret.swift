import Foundation

/// Random tokens (sessions, CSRF, one-time addresses) and their comparison.
public enum PageSecret {
    /// 256 random bits from the system's generator (getrandom), base64url
    /// without padding: valid in an address, a header, a cookie and a form.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        return bytes.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether a token someone sent is the expected one, in time that does
    /// not depend on where they differ (no guessing byte by byte).
    public static func matches(_ sent: String?, _ expected: String) -> Bool {
        guard let sent else { return false }
        let (lhs, rhs) = (Array(sent.utf8), Array(expected.utf8))
        guard lhs.count == rhs.count, !rhs.isEmpty else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
