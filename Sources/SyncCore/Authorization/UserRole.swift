/// What a user may do. Caseworkers read and write the cases they are members
/// of; supervisors read and write every case, change membership and resolve
/// conflicts; admins may also read the audit log and manage accounts.
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
