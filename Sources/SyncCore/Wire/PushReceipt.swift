import Foundation

/// The answer to a stored push (Protocol.md §10.3): where each operation of
/// the batch stands in the server's log, with the server's proof that it
/// accepted it. The server keeps it under the batch id and answers a retry of
/// that batch with the very same bytes.
public struct PushReceipt: Sendable, Equatable {
    public var batch: String
    public var serverTime: Int64
    /// Operations new to the server, and those it held already.
    public var stored: Int
    public var duplicates: Int
    /// One entry per operation of the batch, in the batch's order.
    public var operations: [Entry]

    public struct Entry: Sendable, Hashable {
        public var id: OperationID
        /// The operation's place in the server's log.
        public var position: Int64
        /// Nil in the receipts of a server from before proofs.
        public var proof: String?

        public init(id: OperationID, position: Int64, proof: String?) {
            self.id = id
            self.position = position
            self.proof = proof
        }
    }

    public init(batch: String, serverTime: Int64, stored: Int, duplicates: Int, operations: [Entry]) {
        self.batch = batch
        self.serverTime = serverTime
        self.stored = stored
        self.duplicates = duplicates
        self.operations = operations
    }

    public func encoded() -> Data {
        OperationCodec.canonicalBytes([
            "batch": .string(batch),
            "serverTime": .integer(serverTime),
            "stored": .integer(Int64(stored)),
            "duplicates": .integer(Int64(duplicates)),
            "operations": .array(operations.map { entry in
                var members: [String: JSONValue] = ["id": .string(entry.id.description), "position": .integer(entry.position)]
                if let proof = entry.proof { members["proof"] = .string(proof) }
                return .object(members)
            }),
        ])
    }

    public static func decode(_ data: Data) throws(WireError) -> PushReceipt {
        let receipt = try WireObject(WireObject.parse(data), path: nil, expected: "a receipt must be a JSON object",
                                     allowed: WireObject.answerMembers)
        var entries: [Entry] = []
        for (index, item) in try receipt.array("operations").enumerated() {
            let entry = try WireObject(item, path: "operations[\(index)]", expected: "a receipt entry must be an object",
                                       allowed: WireObject.answerMembers)
            entries.append(Entry(id: try entry.identifier("id", "an operation id", OperationID.init),
                                 position: try entry.integer("position"), proof: try entry.optionalString("proof")))
        }
        return PushReceipt(batch: try receipt.string("batch"), serverTime: try receipt.integer("serverTime"),
                           stored: Int(clamping: try receipt.integer("stored")),
                           duplicates: Int(clamping: try receipt.integer("duplicates")), operations: entries)
    }
}
