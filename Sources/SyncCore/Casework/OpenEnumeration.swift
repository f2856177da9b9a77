/// A string-valued enumeration that a newer version may extend. Values this
/// version does not know are kept as they are (and `isKnown` is false), never
/// dropped or rewritten.
public protocol OpenEnumeration: RawRepresentable, Hashable, Sendable, CustomStringConvertible where RawValue == String {
    static var known: [Self] { get }
    init(rawValue: String)
}

extension OpenEnumeration {
    public var isKnown: Bool { Self.known.contains(self) }
    public var description: String { rawValue }
}
