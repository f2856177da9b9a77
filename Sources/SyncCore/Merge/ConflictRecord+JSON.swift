/// The JSON form of conflict records and addenda (Protocol.md §6.4), as the
/// server's conflict log and the field client's `--json` output carry them.
extension ConflictRecord {
    /// `receivedAt` adds, where known, when each operation reached the replica
    /// that produces the document.
    public func jsonValue(receivedAt: (OperationID) -> UInt64? = { _ in nil }) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id),
            "kind": .string(kind.rawValue),
            "status": .string(isOpen ? "open" : "resolved"),
            "case": .string(caseID.description),
            "entity": .string(entity.description),
            "entityType": entityType.map(JSONValue.string) ?? .null,
            "field": .string(field),
            "values": .array(values.map { $0.jsonValue(receivedAt: receivedAt($0.operation)) }),
        ]
        if let resolution {
            object["resolution"] = [
                "operation": .string(resolution.operation.description),
                "author": .string(resolution.author.name),
                "device": .string(resolution.device.description),
                "time": .integer(Int64(resolution.milliseconds)),
                "value": resolution.value,
                "supersedes": .array(resolution.supersedes.map { .string($0.description) }),
                "reason": .string(resolution.reason),
            ]
        }
        return .object(object)
    }

    /// The newest time among the values and the resolution.
    public var latestMilliseconds: UInt64 {
        max(values.map(\.milliseconds).max() ?? 0, resolution?.milliseconds ?? 0)
    }
}

extension ConflictValue {
    public func jsonValue(receivedAt: UInt64? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "operation": .string(operation.description),
            "author": .string(author.name),
            "device": .string(device.description),
            "time": .integer(Int64(milliseconds)),
            "change": .string(change.rawValue),
            "value": value,
        ]
        if let receivedAt { object["receivedAt"] = .integer(Int64(receivedAt)) }
        return .object(object)
    }
}

extension Addendum {
    /// `field` and `value` (the change, signed and dated, as in a conflict
    /// record); a decision adds its `reason`.
    public func jsonValue() -> JSONValue {
        var object: [String: JSONValue] = ["field": .string(field), "value": value.jsonValue()]
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }
}
