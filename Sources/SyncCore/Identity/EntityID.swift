/// Identity of a case, note, participant, next step, or of an entity type this
/// version does not know. Random, so replicas create entities offline without
/// coordinating.
public struct EntityID: RandomIdentifier {
    public let raw: Identifier128
    public init(raw: Identifier128) { self.raw = raw }
}
