/// Everything a reader can see of an entity, computed once: values, set
/// elements, conflicts and addenda. Two replicas that hold the same operations
/// produce equal snapshots; the convergence tests compare these.
public struct EntitySnapshot: Hashable, Sendable {
    public let id: EntityID
    public let caseID: EntityID
    public let entityType: String?
    public let isDeleted: Bool
    public let isFinalized: Bool
    public let values: [String: JSONValue]
    public let elements: [String: [JSONValue]]
    public let conflicts: [ConflictRecord]
    public let addenda: [Addendum]
    public let operationCount: Int

    public init(_ state: EntityState) {
        id = state.id
        caseID = state.caseID
        entityType = state.entityType
        isDeleted = state.isDeleted
        isFinalized = state.isFinalized
        var values: [String: JSONValue] = [:]
        var elements: [String: [JSONValue]] = [:]
        for field in state.fieldNames {
            if let value = state.value(of: field) { values[field] = value }
            let members = state.elements(of: field)
            if !members.isEmpty { elements[field] = members }
        }
        self.values = values
        self.elements = elements
        conflicts = state.conflicts()
        addenda = state.addenda()
        operationCount = state.operations.count
    }
}
