import GRDB
import SyncCore

/// The entities an operation log holds, for the write rules: the server's
/// log (plaintext bodies) and a laptop's (sealed ones) alike.
public struct LoggedEntities<Bodies: OperationBodyCodec>: HeldEntities {
    let db: Database
    let codec: OperationCodec
    let bodies: Bodies

    public init(db: Database, codec: OperationCodec, bodies: Bodies) {
        self.db = db
        self.codec = codec
        self.bodies = bodies
    }

    public func entity(_ id: EntityID) throws -> (caseID: EntityID, type: String?)? {
        try OperationLog.entity(id, bodies: bodies, codec: codec, in: db)
    }

    public func state(of id: EntityID) throws -> EntityState? {
        try OperationLog.fold(StoredOperation.ofEntity(id.description), codec: codec, bodies: bodies, in: db).states[id]
    }
}
