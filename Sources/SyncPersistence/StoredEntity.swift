import GRDB

/// A row of the log's `entity` table (`OperationLog`): the case each held
/// entity belongs to, as first recorded, and its type once its `create` is held.
public struct StoredEntity: Codable, FetchableRecord, TableRecord, Sendable {
    public static let databaseTableName = "entity"

    public enum Columns {
        public static let id = Column("id")
        public static let caseID = Column("caseID")
        public static let entityType = Column("entityType")
    }

    public var id: String
    public var caseID: String
    public var entityType: String?
}
