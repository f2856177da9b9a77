/// Why the server will not start, in one line an operator can act on.
public struct ServerStartRefusal: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
