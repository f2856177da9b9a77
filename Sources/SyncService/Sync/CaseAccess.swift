import Foundation
import GRDB
import SyncCore
import SyncPersistence

/// Who may read and write which case. Membership is data: the `members` field
/// of the case entity, merged like any other field. A case whose members were
/// never written belongs to its creator.
enum CaseAccess {
    static func readableCases(for device: AuthenticatedDevice, in db: Database) throws -> [EntityID] {
        if device.role.seesEveryCase { return try OperationLog.caseIDs(in: db) }
        let statement = try db.cachedStatement(sql: "SELECT caseID FROM caseMember WHERE user = ? ORDER BY caseID")
        return try String.fetchAll(statement, arguments: [device.user.name]).compactMap(EntityID.init)
    }

    static func mayAccess(_ caseID: EntityID, device: AuthenticatedDevice, in db: Database) throws -> Bool {
        if device.role.seesEveryCase { return true }
        let statement = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM caseMember WHERE caseID = ? AND user = ?)")
        return try Bool.fetchOne(statement, arguments: [caseID.description, device.user.name]) ?? false
    }

    /// Rewrites the membership rows of a case from its merged state. Returns the
    /// users added and removed.
    static func refreshMembership(
        of caseID: EntityID, state: EntityState, in db: Database
    ) throws -> (added: Set<String>, removed: Set<String>) {
        let members = CaseMembership.members(of: state)
        let before = Set(try String.fetchAll(
            db, sql: "SELECT user FROM caseMember WHERE caseID = ?", arguments: [caseID.description]))
        for user in before.subtracting(members) {
            try db.execute(sql: "DELETE FROM caseMember WHERE caseID = ? AND user = ?", arguments: [caseID.description, user])
        }
        for user in members.subtracting(before) {
            try CaseMemberRecord(caseID: caseID.description, user: user).insert(db)
        }
        return (members.subtracting(before), before.subtracting(members))
    }
}
