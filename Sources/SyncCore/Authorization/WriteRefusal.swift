/// Why a batch was refused by the write rules (`WriteRules`): which operation,
/// which member of it, and a stable code (Protocol.md §10.1).
public struct WriteRefusal: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Hashable, Sendable {
        /// A `create` of an entity type this version does not accept.
        case unknownEntityType = "unknown-entity-type"
        /// An operation on an entity that is not held and that the batch does not create.
        case unknownEntity = "unknown-entity"
        /// A `create` of an entity that already exists.
        case entityExists = "entity-exists"
        /// The entity belongs to another case than the operation names (a case
        /// entity belongs to itself, every other entity to another case).
        case caseMismatch = "case-mismatch"
        /// The operation kind is not accepted by the entity type or the field.
        case kindNotAllowed = "kind-not-allowed"
        /// A field the entity type does not have.
        case unknownField = "unknown-field"
        /// A value or element not of the field's form.
        case invalidValue = "invalid-value"
        /// An operation names a case that does not exist, and the batch does not create it.
        case unknownCase = "unknown-case"
        /// The user may not write the case.
        case notAMember = "not-a-member"
        /// A change of who may read a case by a user whose role does not allow it.
        case membershipChangeNotAllowed = "membership-change-not-allowed"
        /// A `resolve` by a user whose role does not allow it.
        case resolutionNotAllowed = "resolution-not-allowed"
    }

    public let reason: Reason
    /// The index of the operation in the batch.
    public let index: Int
    /// The member of the operation the refusal is about (`entityType`,
    /// `field`, `value`, `context.title`, …), nil for the operation as a whole.
    public let member: String?
    public let detail: String

    public init(_ reason: Reason, index: Int, member: String?, detail: String) {
        self.reason = reason
        self.index = index
        self.member = member
        self.detail = detail
    }

    public var code: String { reason.rawValue }

    /// Where in a batch sent as `operations` the refusal is.
    public var path: String { "operations[\(index)]" + (member.map { ".\($0)" } ?? "") }

    public var description: String { "\(path): \(detail) (\(code))" }
}
