/// Who may read and write a case: the `members` set of its case entity
/// (Protocol.md §10.5), or its creator while `members` was never written.
///
/// Computed from every addition and removal held: a finalization of a case
/// (refused by `WriteRules`, stored by an earlier version perhaps) has no
/// effect (`EntityState.isFinalized` holds for notes only), so nothing
/// freezes membership and a supervisor can always repair it.
public enum CaseMembership {
    public static func members(of caseState: EntityState) -> Set<String> {
        guard isWritten(caseState) else { return Set(caseState.creationOperation.map { [$0.author.name] } ?? []) }
        return Set(caseState.elements(of: Case.Field.members).compactMap(\.stringValue))
    }

    /// Whether any `add` or `remove` of `members` is held: until then the
    /// case is its creator's, and writing the set must name the creator too.
    public static func isWritten(_ caseState: EntityState) -> Bool {
        caseState.operations.values.contains { operation in
            switch operation.change {
            case .add(Case.Field.members, _), .remove(Case.Field.members, _, _): true
            default: false
            }
        }
    }
}
