import Foundation

/// The JSON encoding of operations, version 1 (Protocol.md, "Operations").
///
/// Decoding goes through `JSONValue` first and then checks every member by hand,
/// so that every refusal is a typed `OperationError` that says where and what,
/// and unknown members are refused instead of silently dropped.
public struct OperationCodec: Sendable {
    public var limits: OperationLimits
    /// The times an operation id may carry. Only the repair of a replica's
    /// own operations stamped by a broken clock (never sent, so never seen
    /// elsewhere) reads wider: it needs their bodies to give them new ids.
    public var acceptedMilliseconds: Range<UInt64> = HLCTimestamp.validMilliseconds

    public init(limits: OperationLimits = .standard) {
        self.limits = limits
    }

    /// A decoder for that repair alone: any timestamp is read.
    public static var acceptingAnyTimestamp: OperationCodec {
        var codec = OperationCodec()
        codec.acceptedMilliseconds = 0..<(HLCTimestamp.maximumMilliseconds + 1)
        return codec
    }

    // MARK: Encoding

    public func jsonValue(of operation: Operation) -> JSONValue {
        var object: [String: JSONValue] = [
            "version": .integer(Int64(Operation.currentVersion)),
            "id": .string(operation.id.description),
            "seq": .integer(Int64(operation.seq)),
            "author": .string(operation.author.name),
            "case": .string(operation.caseID.description),
            "entity": .string(operation.entity.description),
            "kind": .string(operation.kindName),
        ]
        switch operation.change {
        case .create(let entityType):
            object["entityType"] = .string(entityType)
        case .set(let field, let value, let predecessors):
            object["field"] = .string(field)
            object["value"] = value
            object["predecessors"] = Self.idArray(predecessors)
        case .add(let field, let element):
            object["field"] = .string(field)
            object["element"] = element
        case .remove(let field, let element, let predecessors):
            object["field"] = .string(field)
            object["element"] = element
            object["predecessors"] = Self.idArray(predecessors)
        case .delete:
            break
        case .finalize(let context):
            object["context"] = .object(context.mapValues(Self.idArray))
        case .resolve(let field, let value, let supersedes, let reason):
            object["field"] = .string(field)
            object["value"] = value
            object["supersedes"] = Self.idArray(supersedes)
            object["reason"] = .string(reason)
        }
        return .object(object)
    }

    private static func idArray(_ ids: [OperationID]) -> JSONValue {
        .array(ids.map { .string($0.description) })
    }

    /// Canonical bytes: keys sorted, no insignificant white space. Equal
    /// operations always encode to equal bytes.
    public func encode(_ operation: Operation) -> Data {
        var writer = CanonicalJSONWriter()
        writer.operation(operation)
        return writer.data
    }

    public func encodeBatch(_ operations: [Operation]) -> Data {
        var writer = CanonicalJSONWriter(capacity: operations.count * 256)
        writer.byte(UInt8(ascii: "["))
        for (index, operation) in operations.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.operation(operation)
        }
        writer.byte(UInt8(ascii: "]"))
        return writer.data
    }

    /// The canonical bytes of any JSON value (Protocol.md §4).
    public static func canonicalBytes(_ value: JSONValue) -> Data {
        var writer = CanonicalJSONWriter()
        writer.value(value)
        return writer.data
    }

    // MARK: Decoding

    public func decode(_ data: Data) throws(OperationError) -> Operation {
        try operation(from: Self.parse(data, path: ""), path: "")
    }

    /// Decodes a JSON array of operations; either every one is valid or the
    /// first problem is thrown and nothing is returned.
    public func decodeBatch(_ data: Data, path: String = "operations") throws(OperationError) -> [Operation] {
        try operations(from: Self.parse(data, path: path), path: path)
    }

    public func operations(from value: JSONValue, path: String) throws(OperationError) -> [Operation] {
        guard case .array(let items) = value else {
            throw OperationError(path: path, reason: .wrongType(expected: "an array of operations"))
        }
        guard items.count <= limits.maximumOperationsPerBatch else {
            throw OperationError(path: path, reason: .tooManyOperations(limit: limits.maximumOperationsPerBatch))
        }
        var result: [Operation] = []
        result.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            result.append(try operation(from: item, path: "\(path)[\(index)]"))
        }
        return result
    }

    public static func parse(_ data: Data, path: String) throws(OperationError) -> JSONValue {
        do {
            return try JSONParser.parse(data)
        } catch {
            throw OperationError(path: path, reason: .malformedJSON(error.description))
        }
    }

    public func operation(from value: JSONValue, path: String) throws(OperationError) -> Operation {
        var reader = try MemberReader(value, path: path)
        let version = try reader.integer("version")
        guard version == Int64(Operation.currentVersion) else {
            throw OperationError(path: reader.path("version"), reason: .unsupportedVersion(Int(clamping: version)))
        }
        let id = try reader.operationID("id")
        guard acceptedMilliseconds.contains(id.timestamp.milliseconds) else {
            throw OperationError(path: reader.path("id"), reason: .invalidTimestamp)
        }
        let seq = try reader.integer("seq")
        guard seq >= 1, seq <= 1 << 53 else {
            throw OperationError(path: reader.path("seq"), reason: .invalidSequenceNumber)
        }
        let author = try reader.userID("author")
        let caseID = try reader.entityID("case")
        let entity = try reader.entityID("entity")
        let kind = try reader.string("kind")
        let change: Operation.Change
        switch kind {
        case "create":
            change = .create(entityType: try reader.name("entityType"))
        case "set":
            change = .set(
                field: try reader.name("field"),
                value: try reader.value("value", limits: limits),
                predecessors: try reader.operationIDs("predecessors", limit: limits.maximumPredecessors))
        case "add":
            change = .add(field: try reader.name("field"), element: try reader.value("element", limits: limits))
        case "remove":
            change = .remove(
                field: try reader.name("field"),
                element: try reader.value("element", limits: limits),
                predecessors: try reader.operationIDs("predecessors", limit: limits.maximumPredecessors))
        case "delete":
            change = .delete
        case "finalize":
            change = .finalize(context: try reader.context("context", limits: limits))
        case "resolve":
            let field = try reader.name("field")
            let value = try reader.value("value", limits: limits)
            let supersedes = try reader.operationIDs("supersedes", limit: limits.maximumPredecessors)
            guard !supersedes.isEmpty else {
                throw OperationError(path: reader.path("supersedes"), reason: .emptyText)
            }
            let reason = try reader.string("reason")
            guard !BlankText.isBlank(reason) else {
                throw OperationError(path: reader.path("reason"), reason: .emptyText)
            }
            guard reason.utf8.count <= limits.maximumReasonBytes else {
                throw OperationError(
                    path: reader.path("reason"), reason: .tooLarge(limit: limits.maximumReasonBytes, unit: "bytes"))
            }
            change = .resolve(field: field, value: value, supersedes: supersedes, reason: reason)
        default:
            throw OperationError(path: reader.path("kind"), reason: .unknownKind(kind))
        }
        try reader.finish()
        return Operation(id: id, seq: UInt64(seq), author: author, caseID: caseID, entity: entity, change: change)
    }
}

/// Reads the members of one JSON object, remembering which were read so that
/// leftovers can be reported as unknown.
private struct MemberReader {
    let members: [String: JSONValue]
    let base: String
    var consumed: Set<String> = []

    init(_ value: JSONValue, path: String) throws(OperationError) {
        guard case .object(let members) = value else {
            throw OperationError(path: path, reason: .wrongType(expected: "an object"))
        }
        self.members = members
        self.base = path
    }

    func path(_ member: String) -> String { base.isEmpty ? member : "\(base).\(member)" }

    mutating func raw(_ member: String) throws(OperationError) -> JSONValue {
        guard let value = members[member] else {
            throw OperationError(path: base, reason: .missingMember(member))
        }
        consumed.insert(member)
        return value
    }

    mutating func string(_ member: String) throws(OperationError) -> String {
        guard case .string(let text) = try raw(member) else {
            throw OperationError(path: path(member), reason: .wrongType(expected: "a string"))
        }
        return text
    }

    mutating func integer(_ member: String) throws(OperationError) -> Int64 {
        guard case .integer(let number) = try raw(member) else {
            throw OperationError(path: path(member), reason: .wrongType(expected: "a whole number"))
        }
        return number
    }

    mutating func name(_ member: String) throws(OperationError) -> String {
        let text = try string(member)
        guard FieldName.isValid(text) else { throw OperationError(path: path(member), reason: .invalidName) }
        return text
    }

    mutating func userID(_ member: String) throws(OperationError) -> UserID {
        guard let id = UserID(try string(member)) else {
            throw OperationError(
                path: path(member),
                reason: .invalidIdentifier(expected: "a user name of 1 to 64 characters a-z, 0-9, '.', '_', '-'"))
        }
        return id
    }

    mutating func entityID(_ member: String) throws(OperationError) -> EntityID {
        guard let id = EntityID(try string(member)) else {
            throw OperationError(path: path(member), reason: .invalidIdentifier(expected: "32 lowercase hex digits"))
        }
        return id
    }

    mutating func operationID(_ member: String) throws(OperationError) -> OperationID {
        try Self.operationID(try raw(member), path: path(member))
    }

    static func operationID(_ value: JSONValue, path: String) throws(OperationError) -> OperationID {
        guard case .string(let text) = value else {
            throw OperationError(path: path, reason: .wrongType(expected: "an operation id string"))
        }
        guard let id = OperationID(text) else {
            throw OperationError(
                path: path, reason: .invalidIdentifier(expected: "16 hex digits, '-', 32 hex digits (lowercase)"))
        }
        return id
    }

    static func operationIDs(_ value: JSONValue, path: String, limit: Int) throws(OperationError) -> [OperationID] {
        guard case .array(let items) = value else {
            throw OperationError(path: path, reason: .wrongType(expected: "an array of operation ids"))
        }
        guard items.count <= limit else {
            throw OperationError(path: path, reason: .tooLarge(limit: limit, unit: "operation ids"))
        }
        var ids: [OperationID] = []
        ids.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            ids.append(try operationID(item, path: "\(path)[\(index)]"))
        }
        return ids
    }

    mutating func operationIDs(_ member: String, limit: Int) throws(OperationError) -> [OperationID] {
        try Self.operationIDs(try raw(member), path: path(member), limit: limit)
    }

    mutating func value(_ member: String, limits: OperationLimits) throws(OperationError) -> JSONValue {
        let value = try raw(member)
        var budget = limits.maximumValueBytes
        guard Self.fits(value, budget: &budget, depth: limits.maximumValueDepth) else {
            throw OperationError(
                path: path(member),
                reason: .tooLarge(
                    limit: limits.maximumValueBytes,
                    unit: "bytes (nested at most \(limits.maximumValueDepth) deep)"))
        }
        return value
    }

    /// Charges an estimate of the encoded size against the budget.
    private static func fits(_ value: JSONValue, budget: inout Int, depth: Int) -> Bool {
        guard depth >= 0 else { return false }
        switch value {
        case .null, .bool, .integer, .number: budget -= 8
        case .string(let text): budget -= text.utf8.count + 2
        case .array(let items):
            budget -= 2
            for item in items where !fits(item, budget: &budget, depth: depth - 1) { return false }
        case .object(let members):
            budget -= 2
            for (key, item) in members {
                budget -= key.utf8.count + 3
                if !fits(item, budget: &budget, depth: depth - 1) { return false }
            }
        }
        return budget >= 0
    }

    mutating func context(_ member: String, limits: OperationLimits) throws(OperationError) -> [String: [OperationID]] {
        guard case .object(let fields) = try raw(member) else {
            throw OperationError(path: path(member), reason: .wrongType(expected: "an object of field names to id arrays"))
        }
        guard fields.count <= limits.maximumContextFields else {
            throw OperationError(path: path(member), reason: .tooLarge(limit: limits.maximumContextFields, unit: "fields"))
        }
        var context: [String: [OperationID]] = [:]
        for (field, ids) in fields {
            let fieldPath = "\(path(member)).\(field)"
            guard FieldName.isValid(field) else { throw OperationError(path: fieldPath, reason: .invalidName) }
            context[field] = try Self.operationIDs(ids, path: fieldPath, limit: limits.maximumContextOperationsPerField)
        }
        return context
    }

    func finish() throws(OperationError) {
        if let extra = members.keys.filter({ !consumed.contains($0) }).sorted().first {
            throw OperationError(path: base, reason: .unknownMember(extra))
        }
    }
}

/// Names of entity types and fields.
public enum FieldName {
    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard (1...64).contains(utf8.count), let first = utf8.first,
              (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        else { return false }
        return utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }
}
