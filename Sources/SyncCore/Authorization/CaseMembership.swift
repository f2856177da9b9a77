/// Who may read and write a case: the `members` set of its case entity
/// (Protocol.md §10.5), or its creator while `members` was never written.
///
/// Computed from every addition and removal held, whatever else the case
/// entity holds: a finalization (refused for cases by `WriteRules`, but one
/// stored by an earlier version may exist) must not freeze membership, or a
/// supervisor could no longer repair it.
public enum CaseMembership {
    public static func members(of caseState: EntityState) -> Set<String> {
        let written = caseState.operations.values.contains { operation in
            switch operation.change {
            case .add(Case.Field.members, _), .remove(Case.Field.members, _, _): true
            default: false
            }
        }
        guard written else { return Set(caseState.creationOperation.map { [$0.author.name] } ?? []) }
        return Set(caseState.unfrozenElements(of: Case.Field.members).compactMap(\.stringValue))
    }
}
