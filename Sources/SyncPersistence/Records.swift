import Foundation
import GRDB
import SyncCore

/// One stored operation. The indexed columns repeat what `body` says, so that
/// lookups never need to decode JSON.
struct OperationRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "operation"

    var id: String
    var replica: String
    var seq: Int64
    var caseID: String
    var entity: String
    var body: Data

    init(_ operation: Operation, body: Data) {
        id = operation.id.description
        replica = operation.replica.description
        seq = Int64(operation.seq)
        caseID = operation.caseID.description
        entity = operation.entity.description
        self.body = body
    }

    var operationID: OperationID { OperationID(id)! }
}

/// Which case each entity belongs to, for reading a whole case at once.
struct EntityRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "entity"
    var id: String
    var caseID: String
}

/// The highest sequence number held without a gap, per author replica.
struct ReplicaProgressRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "replicaProgress"
    var replica: String
    var contiguous: Int64
}
