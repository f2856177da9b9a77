/// What a replica holds, kept in memory: each entity's case and type, and
/// its merged state. The write rules' view of operations that are walked
/// rather than stored (the upgrade's quarantine, the tests).
public struct HeldEntityIndex: HeldEntities, Sendable {
    public private(set) var entities: [EntityID: (caseID: EntityID, type: String?)] = [:]
    public private(set) var states: [EntityID: EntityState] = [:]

    public init() {}

    public func entity(_ id: EntityID) throws -> (caseID: EntityID, type: String?)? { entities[id] }

    public func state(of id: EntityID) throws -> EntityState? { states[id] }

    /// Takes operations the rules accepted into the index. The first
    /// `create` held names the type, as the stored log records it.
    public mutating func record(_ operations: some Sequence<Operation>) {
        for operation in operations {
            states[operation.entity, default: EntityState(id: operation.entity)].apply(operation)
            guard entities[operation.entity]?.type == nil else { continue }
            if case .create(let type) = operation.change {
                entities[operation.entity] = (operation.caseID, type)
            } else if entities[operation.entity] == nil {
                entities[operation.entity] = (operation.caseID, nil)
            }
        }
    }
}
