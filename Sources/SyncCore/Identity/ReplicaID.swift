/// Identity of one replica: a field laptop, or the office server. Chosen at
/// random when the replica is first set up and never reused, so that two
/// replicas never mint the same operation id.
public struct ReplicaID: RandomIdentifier {
    public let raw: Identifier128
    public init(raw: Identifier128) { self.raw = raw }
}
