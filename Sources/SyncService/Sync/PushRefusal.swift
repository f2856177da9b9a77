import SyncCore

/// Why a push was refused as a whole: nothing of the batch was stored. The
/// router answers each as a problem document (`Problem(mapping:)`).
enum PushRefusal: Error, Sendable {
    /// The operation at `index` is written in another user's name.
    case forgedAuthor(index: Int, author: UserID, user: UserID)
    /// The operation at `index` carries another device's replica in its id.
    case forgedDevice(index: Int, operation: OperationID, device: ReplicaID)
    /// New operations dated more than `limit` after the server's clock
    /// (Protocol.md §3): `index` is the first, `operations` all of them.
    case clockAhead(index: Int, ahead: UInt64, limit: UInt64, serverTime: Int64, operations: [OperationID])
    /// The write rules refuse an operation; its index is its place in the batch as sent.
    case refusedWrite(WriteRefusal)
    /// The log refuses an operation (§8: a conflicting duplicate, a taken sequence number).
    case invalidOperation(OperationError)
    /// The batch id was stored before for other operations (§10.3).
    case batchIDReused(batch: String)

    /// A review session's own race: two writes took the same sequence
    /// number or id, and the loser is authored again.
    var isLostRace: Bool {
        guard case .invalidOperation(let error) = self else { return false }
        switch error.reason {
        case .sequenceNumberTaken, .conflictingDuplicate: return true
        default: return false
        }
    }
}
