import Crypto
import Foundation

/// Secrets the server hands out and keeps only as their SHA-256, so that a
/// copy of the database signs no one in: device tokens (`DeviceToken`),
/// review session ids and CSRF tokens. Compared with `ConstantTime`.
public enum RandomSecret {
    /// 256 random bits, base64url without padding: valid in a header, a
    /// cookie and a form.
    public static func generate() -> String {
        base64URL(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }

    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Data {
    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
