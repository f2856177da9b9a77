/// Comparison of secrets (CSRF tokens, session ids, MACs) in time that
/// depends on the lengths only, so that a forged one cannot be found byte by
/// byte from response times.
public enum ConstantTime {
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
