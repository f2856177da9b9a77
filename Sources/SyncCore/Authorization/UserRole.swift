/// What a user may do. Caseworkers read and write the cases they are members
/// of; supervisors and admins read and write every case, change membership,
/// resolve conflicts and read the audit log. Accounts are managed on the
/// server machine (`sync-server user`), by whoever may run it, not by role.
///
/// In SyncCore because the write rules (`WriteRules`) are decided by role,
/// and they are the same on the server and in every test of them.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    case caseworker, supervisor, admin

    public var seesEveryCase: Bool { self != .caseworker }
    public var mayChangeMembership: Bool { self != .caseworker }
    public var mayResolveConflicts: Bool { self != .caseworker }
    public var mayReadLogs: Bool { self != .caseworker }
}
