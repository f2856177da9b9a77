import SyncCore

/// Who may read a case: supervisors and admins share it, take it back and
/// hand it over (Protocol.md §5.1). The server enforces the role; these
/// refuse before anything is written.
extension FieldSession {
    /// Hands the case over to `user`: a member and its primary caseworker.
    /// With `removingPrevious`, the previous primary caseworker stops being a
    /// member. Returns whether someone was removed.
    @discardableResult
    public func assignCase(_ caseID: EntityID, to user: String, removingPrevious: Bool) async throws -> Bool {
        let user = try membershipChange(user: user)
        let operations = try await replica.write { author, lookup in
            var state = try Self.caseState(caseID, lookup: lookup)
            let previous = state.value(of: Case.Field.primaryCaseworker)?.stringValue
            let added = try author.add(user, to: Case.Field.members, on: state)
            state.apply(added)
            let primary = try author.set(Case.Field.primaryCaseworker, to: user, on: state)
            state.apply(primary)
            var operations = [added, primary]
            if removingPrevious, let previous, previous != user.stringValue, state.elements(of: Case.Field.members).contains(.string(previous)) {
                operations.append(try author.remove(.string(previous), from: Case.Field.members, on: state))
            }
            return operations
        }
        return operations.count == 3
    }

    /// Makes `user` a member of the case.
    public func shareCase(_ caseID: EntityID, with user: String) async throws {
        let user = try membershipChange(user: user)
        try await replica.write { author, lookup in
            [try author.add(user, to: Case.Field.members, on: try Self.caseState(caseID, lookup: lookup))]
        }
    }

    /// Takes `user` off the case's members; their laptop deletes the case at its next sync.
    public func unshareCase(_ caseID: EntityID, with user: String) async throws {
        let user = try membershipChange(user: user)
        try await replica.write { author, lookup in
            [try author.remove(user, from: Case.Field.members, on: try Self.caseState(caseID, lookup: lookup))]
        }
    }

    /// The user whose membership changes, after checking the role and the name.
    private func membershipChange(user: String) throws -> JSONValue {
        try requireMembershipRole()
        guard UserID(user) != nil else { throw FieldError.notAUserName(user) }
        return .string(user)
    }

    static func caseState(_ caseID: EntityID, lookup: (EntityID) throws -> EntityState?) throws -> EntityState {
        guard let state = try lookup(caseID), state.entityType == EntityType.caseFile else { throw FieldError.notACase(caseID.description) }
        return state
    }
}
