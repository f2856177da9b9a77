/// How many failed sign-ins the server accepts before it slows guessing down
/// (Protocol.md §10.2). Times in milliseconds.
public struct SignInLimits: Sendable, Equatable {
    /// Failed sign-ins in a row under one user name that cost nothing. A person
    /// who mistypes gets this many tries before any waiting.
    public var freeFailuresPerUser = 5
    /// After the free failures, the wait before the next attempt under that
    /// name starts here and doubles with each further failure...
    public var firstDelay: Int64 = 1_000
    /// ...up to this. Five minutes: twelve guesses an hour at most, while the
    /// person whose name is being guessed is never locked out for longer than
    /// that (a lockout without end would let anyone lock anyone out).
    public var maximumDelay: Int64 = 5 * 60_000
    /// Failed sign-ins from one source address within `addressWindow`; then
    /// that address waits until the oldest of them leaves the window. Guessing
    /// many names, each below its own limit, is caught here. 0: no limit (for
    /// a proxy that does not say whom it forwards for).
    public var failuresPerAddress = 20
    public var addressWindow: Int64 = 10 * 60_000
    /// Failed sign-ins under one user name from all sources together within
    /// `forgetAfter`; then the name waits, from everywhere, until the oldest
    /// is that old. High enough that one address (which `failuresPerAddress`
    /// holds to 120 an hour) cannot reach it alone and lock a person out;
    /// low enough that guessing one password from many addresses stays slow.
    /// 0: no such limit.
    public var failuresPerUserEverywhere = 300
    /// A user name's failures are forgotten after this long without another.
    public var forgetAfter: Int64 = 60 * 60_000
    /// Take the source address from the last entry of `X-Forwarded-For`, which
    /// the proxy in front of the server appended. Only behind such a proxy: a
    /// client talking to the server directly can write any address there.
    public var trustForwardedFor = false

    public init() {}

    public static let standard = SignInLimits()
}
