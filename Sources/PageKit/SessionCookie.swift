import Hummingbird

/// A browser session's cookie: HttpOnly (no script reads it), SameSite=Strict
/// (no other site's page makes the browser send it), limited to `path`, and
/// Secure whenever the browser reaches the server over TLS. Not Secure on plain
/// HTTP on loopback, where a browser would drop it and no one could sign in.
public struct SessionCookie: Sendable {
    public let name: String
    public let path: String
    public let secure: Bool

    public init(name: String, path: String, secure: Bool) {
        self.name = name
        self.path = path
        self.secure = secure
    }

    /// The cookie to set; `maxAge` nil makes it last until the browser closes.
    public func cookie(_ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The cookie that makes the browser forget it.
    public var expired: Cookie { cookie("", maxAge: 0) }

    /// The value the request carries, if any.
    public func value(in request: Request) -> String? {
        guard let value = request.cookies[name]?.value, !value.isEmpty else { return nil }
        return value
    }
}
