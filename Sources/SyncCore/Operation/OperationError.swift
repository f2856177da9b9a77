/// Why an operation or a batch was refused. Always names where in the input the
/// problem is (`path`, e.g. `operations[3].predecessors[0]`) and what is wrong,
/// so that a client developer can fix it from the message alone.
public struct OperationError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case malformedJSON(String)
        case missingMember(String)
        case unknownMember(String)
        case wrongType(expected: String)
        case unsupportedVersion(Int)
        case unknownKind(String)
        case invalidIdentifier(expected: String)
        case invalidName
        case invalidTimestamp
        case invalidSequenceNumber
        case emptyText
        case tooLarge(limit: Int, unit: String)
        case tooManyOperations(limit: Int)
        /// An operation id already held with different content: a forged or corrupted operation.
        case conflictingDuplicate
        /// Two different operations claim the same place in one replica's sequence.
        case sequenceNumberTaken(OperationID)

        /// Stable machine-readable name, used as the problem type on the wire.
        public var code: String {
            switch self {
            case .malformedJSON: "malformed-json"
            case .missingMember: "missing-member"
            case .unknownMember: "unknown-member"
            case .wrongType: "wrong-type"
            case .unsupportedVersion: "unsupported-version"
            case .unknownKind: "unknown-kind"
            case .invalidIdentifier: "invalid-identifier"
            case .invalidName: "invalid-name"
            case .invalidTimestamp: "invalid-timestamp"
            case .invalidSequenceNumber: "invalid-sequence-number"
            case .emptyText: "empty-text"
            case .tooLarge: "too-large"
            case .tooManyOperations: "too-many-operations"
            case .conflictingDuplicate: "conflicting-duplicate"
            case .sequenceNumberTaken: "sequence-number-taken"
            }
        }
    }

    public let path: String
    public let reason: Reason

    public init(path: String, reason: Reason) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        let what: String = switch reason {
        case .malformedJSON(let detail): "not valid JSON (\(detail))"
        case .missingMember(let name): "missing member \"\(name)\""
        case .unknownMember(let name): "unknown member \"\(name)\" (operation version \(Operation.currentVersion) has no such member)"
        case .wrongType(let expected): "wrong type, expected \(expected)"
        case .unsupportedVersion(let version):
            "unsupported operation version \(version); this replica understands version \(Operation.currentVersion)"
        case .unknownKind(let kind):
            "unknown operation kind \"\(kind)\"; expected one of create, set, add, remove, delete, finalize, resolve"
        case .invalidIdentifier(let expected): "not a valid identifier, expected \(expected)"
        case .invalidName: "not a valid name, expected a lowercase letter then up to 63 letters, digits or underscores"
        case .invalidTimestamp:
            "timestamp out of range: before 2020-01-01 or after 2099-12-31"
        case .invalidSequenceNumber: "sequence number must be a whole number from 1 to 2^53"
        case .emptyText: "must not be empty"
        case .tooLarge(let limit, let unit): "too large, the limit is \(limit) \(unit)"
        case .tooManyOperations(let limit): "too many operations in one batch, the limit is \(limit)"
        case .conflictingDuplicate: "an operation with this id is already stored with different content"
        case .sequenceNumberTaken(let other):
            "this replica sequence number already belongs to operation \(other)"
        }
        return path.isEmpty ? what : "\(path): \(what)"
    }
}

/// Bounds on what one operation or batch may hold. Generous for casework (a long
/// note body is tens of kilobytes), small enough that no input can exhaust memory.
public struct OperationLimits: Sendable, Hashable {
    public var maximumValueBytes = 512 * 1024
    public var maximumValueDepth = 16
    public var maximumPredecessors = 256
    public var maximumContextFields = 256
    public var maximumReasonBytes = 4096
    /// Operation ids per field of a `finalize` context: a set-valued field
    /// names every addition and removal seen, so more than `predecessors`.
    public var maximumContextOperationsPerField = 4096
    public var maximumOperationsPerBatch = 10_000

    public init() {}

    public static let standard = OperationLimits()
}
