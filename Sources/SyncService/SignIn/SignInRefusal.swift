/// Why a sign-in was refused before its password was checked. Routes map it
/// to their answer: a problem document on `POST /v1/devices`, a page on
/// `/review/sign-in`.
public enum SignInRefusal: Error, Sendable, Equatable {
    /// Too many failed attempts for this user name or from this address
    /// (`SignInLimiter`); the caller may try again after this many seconds.
    case throttled(retryAfterSeconds: Int, limit: SignInLimiter.Limit)
    /// Every password-check thread is busy and the queue in front of them is
    /// full (`PasswordVerifier`).
    case busy

    /// Seconds for the `Retry-After` header.
    public var retryAfterSeconds: Int {
        switch self {
        case .throttled(let seconds, _): seconds
        case .busy: 1
        }
    }
}
