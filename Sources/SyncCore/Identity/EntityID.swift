/// Identity of a case, note, participant or next step. Random, so replicas
/// create entities offline without coordinating.
public struct EntityID: RandomIdentifier {
    public let raw: Identifier128
    public init(raw: Identifier128) { self.raw = raw }
}
