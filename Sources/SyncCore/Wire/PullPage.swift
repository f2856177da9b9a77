import Foundation

/// A page of `GET /v1/pull` (Protocol.md §10.4).
public struct PullPage: Sendable, Equatable {
    /// The cursor to pull with next, once this page is stored.
    public var cursor: String
    public var hasMore: Bool
    public var operations: [Operation]
    /// Cases the device may no longer read: it deletes their data.
    public var removedCases: [EntityID]
    /// Operations still to send after this page (0 when `hasMore` is false).
    public var remaining: Int
    public var serverTime: Int64

    public init(cursor: String, hasMore: Bool, operations: [Operation], removedCases: [EntityID], remaining: Int, serverTime: Int64) {
        self.cursor = cursor
        self.hasMore = hasMore
        self.operations = operations
        self.removedCases = removedCases
        self.remaining = remaining
        self.serverTime = serverTime
    }

    public func encoded() -> Data {
        let codec = OperationCodec()
        return Self.encoded(cursor: cursor, hasMore: hasMore, operations: operations.map(codec.encode), removedCases: removedCases,
                     remaining: remaining, serverTime: serverTime)
    }

    /// The page written around operations already in canonical form: the
    /// server sends the bytes it stored, never decoded and encoded again.
    /// The members keep the order pages have always had (`removedCases`
    /// before `remaining`, which canonical order would swap): JSON readers
    /// take any order, and the answer stays byte for byte what it was.
    public static func encoded(
        cursor: String, hasMore: Bool, operations: [Data], removedCases: [EntityID], remaining: Int, serverTime: Int64
    ) -> Data {
        var head = CanonicalJSONWriter()
        head.byte(UInt8(ascii: "{"))
        head.key("cursor", first: true)
        head.string(cursor)
        head.key("hasMore")
        head.raw(hasMore ? "true" : "false")
        head.key("operations")
        head.byte(UInt8(ascii: "["))
        var tail = CanonicalJSONWriter()
        tail.byte(UInt8(ascii: "]"))
        tail.key("removedCases")
        tail.byte(UInt8(ascii: "["))
        for (index, caseID) in removedCases.enumerated() {
            if index > 0 { tail.byte(UInt8(ascii: ",")) }
            tail.entityID(caseID)
        }
        tail.byte(UInt8(ascii: "]"))
        tail.key("remaining")
        tail.integer(remaining)
        tail.key("serverTime")
        tail.integer(serverTime)
        tail.byte(UInt8(ascii: "}"))
        var data = head.data
        data.reserveCapacity(data.count + operations.reduce(tail.bytes.count) { $0 + $1.count + 1 })
        for (index, operation) in operations.enumerated() {
            if index > 0 { data.append(UInt8(ascii: ",")) }
            data.append(operation)
        }
        data.append(contentsOf: tail.bytes)
        return data
    }

    /// A page as a client reads it. `removedCases`, `remaining` and
    /// `serverTime` may be missing: a server of an earlier version sent none.
    public static func decode(_ data: Data, codec: OperationCodec = OperationCodec()) throws(WireError) -> PullPage {
        try PullPage(json: WireObject.parse(data), codec: codec)
    }

    public init(json: JSONValue, codec: OperationCodec = OperationCodec()) throws(WireError) {
        let page = try WireObject(json, path: nil, expected: "a pull page must be a JSON object",
                                  allowed: WireObject.answerMembers)
        let operationsValue = try page.required("operations")
        do {
            operations = try codec.operations(from: operationsValue, path: "operations")
        } catch {
            throw WireError(operation: error)
        }
        cursor = try page.string("cursor")
        hasMore = try page.bool("hasMore")
        removedCases = page["removedCases"] == nil ? [] : try page.identifiers("removedCases", "a case id", EntityID.init)
        remaining = page["remaining"] == nil ? 0 : Int(clamping: try page.integer("remaining"))
        serverTime = page["serverTime"] == nil ? 0 : try page.integer("serverTime")
    }
}
