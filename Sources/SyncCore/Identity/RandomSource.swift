/// Where a replica gets its randomness (new replica and entity ids). Production
/// code passes the system generator; tests and simulations pass a seeded one so
/// that a failing history can be replayed exactly.
public protocol RandomSource {
    mutating func next() -> UInt64
}

/// The operating system's cryptographically secure generator.
public struct SystemRandomSource: RandomSource, Sendable {
    private var generator = SystemRandomNumberGenerator()
    public init() {}
    public mutating func next() -> UInt64 { generator.next() }
}
