import Foundation

/// The body of `POST /v1/push` (Protocol.md §10.3): a batch of operations
/// written on one device, the reads made on it, and the receipt proofs of
/// operations sent again after a restore.
public struct PushBatch: Sendable, Equatable {
    /// Chosen by the client, unique per device; a retry sends the same id.
    public var batch: String
    public var operations: [Operation]
    public var reads: [Read]
    /// Receipt proofs of operations sent again after a restore (§10.9).
    public var proofs: [OperationID: String]

    /// A read of case data made on the laptop, uploaded for the audit log.
    public struct Read: Sendable, Hashable {
        public var at: Int64
        public var caseID: EntityID
        public var entity: EntityID?
        /// The view, such as `case-show` or `note-show`.
        public var what: String

        public init(at: Int64, caseID: EntityID, entity: EntityID?, what: String) {
            self.at = at
            self.caseID = caseID
            self.entity = entity
            self.what = what
        }
    }

    public static let maximumOperations = 1_000
    public static let maximumReads = 10_000
    public static let maximumProofBytes = 64

    public init(batch: String, operations: [Operation], reads: [Read] = [], proofs: [OperationID: String] = [:]) {
        self.batch = batch
        self.operations = operations
        self.reads = reads
        self.proofs = proofs
    }

    public static func isValidBatchID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
            default: false
            }
        }
    }

    // MARK: Encoding

    /// Canonical bytes; the operations in their own canonical form, written
    /// straight into the buffer (a batch is up to 1,000 of them).
    public func encoded() -> Data {
        var writer = CanonicalJSONWriter(capacity: operations.count * 256 + reads.count * 128 + 64)
        writer.byte(UInt8(ascii: "{"))
        writer.key("batch", first: true)
        writer.string(batch)
        writer.key("operations")
        writer.byte(UInt8(ascii: "["))
        for (index, operation) in operations.enumerated() {
            if index > 0 { writer.byte(UInt8(ascii: ",")) }
            writer.operation(operation)
        }
        writer.byte(UInt8(ascii: "]"))
        if !proofs.isEmpty {
            writer.key("proofs")
            writer.value(.object(Dictionary(uniqueKeysWithValues: proofs.map { ($0.key.description, .string($0.value)) })))
        }
        writer.key("reads")
        writer.value(.array(reads.map(\.jsonValue)))
        writer.byte(UInt8(ascii: "}"))
        return writer.data
    }

    // MARK: Decoding

    public static func decode(_ data: Data, codec: OperationCodec = OperationCodec()) throws(WireError) -> PushBatch {
        try PushBatch(json: WireObject.parse(data), codec: codec)
    }

    public init(json: JSONValue, codec: OperationCodec = OperationCodec()) throws(WireError) {
        let body = try WireObject(json, path: nil, expected: "the body must be a JSON object with members batch, operations and reads",
                                  allowed: ["batch", "operations", "reads", "proofs"])
        guard case .string(let batch)? = body["batch"] else {
            throw WireError(body["batch"] == nil ? .missingMember : .wrongType, "\"batch\" must be a string naming this batch", path: "batch")
        }
        guard Self.isValidBatchID(batch) else {
            throw WireError(.invalidIdentifier, "\"batch\" must be 1 to 128 characters A-Z, a-z, 0-9, '-', '_', '.'", path: "batch")
        }
        let operationsValue = try body.required("operations")
        if case .array(let items) = operationsValue, items.count > Self.maximumOperations {
            throw WireError(operation: OperationError(path: "operations", reason: .tooManyOperations(limit: Self.maximumOperations)))
        }
        do {
            operations = try codec.operations(from: operationsValue, path: "operations")
        } catch {
            throw WireError(operation: error)
        }
        var reads: [Read] = []
        if let readsValue = body["reads"] {
            guard case .array(let items) = readsValue else {
                throw WireError(.wrongType, "\"reads\" must be an array", path: "reads")
            }
            guard items.count <= Self.maximumReads else {
                throw WireError(.tooLarge, "at most \(Self.maximumReads) reads per push", path: "reads")
            }
            for (index, item) in items.enumerated() {
                reads.append(try Read(json: item, path: "reads[\(index)]"))
            }
        }
        var proofs: [OperationID: String] = [:]
        if let proofsValue = body["proofs"] {
            guard case .object(let entries) = proofsValue else {
                throw WireError(.wrongType, "\"proofs\" must be an object of operation id to receipt proof", path: "proofs")
            }
            guard entries.count <= Self.maximumOperations else {
                throw WireError(.tooLarge, "at most \(Self.maximumOperations) proofs per push", path: "proofs")
            }
            for key in entries.keys.sorted() {
                guard let id = OperationID(key) else {
                    throw WireError(.invalidIdentifier, "a key of \"proofs\" must be an operation id", path: "proofs")
                }
                guard case .string(let proof)? = entries[key], (1...Self.maximumProofBytes).contains(proof.utf8.count) else {
                    throw WireError(.wrongType, "a receipt proof must be a string of 1 to \(Self.maximumProofBytes) characters", path: "proofs.\(key)")
                }
                proofs[id] = proof
            }
        }
        self.batch = batch
        self.reads = reads
        self.proofs = proofs
    }
}

extension PushBatch.Read {
    var jsonValue: JSONValue {
        ["at": .integer(at), "case": .string(caseID.description), "entity": entity.map { .string($0.description) } ?? .null,
         "what": .string(what)]
    }

    init(json: JSONValue, path: String) throws(WireError) {
        let read = try WireObject(json, path: path, expected: "a read must be an object with at, case, what and optionally entity",
                                  allowed: ["at", "case", "entity", "what"])
        guard case .integer(let at)? = read["at"], at >= Int64(HLCTimestamp.earliestMilliseconds), at < Int64(HLCTimestamp.latestMilliseconds) else {
            throw WireError(.invalidTimestamp, "\"at\" must be milliseconds since 1970 between 2020 and 2100", path: read.path("at"))
        }
        guard case .string(let caseText)? = read["case"], let caseID = EntityID(caseText) else {
            throw WireError(.invalidIdentifier, "\"case\" must be a case id (32 lowercase hex digits)", path: read.path("case"))
        }
        var entity: EntityID?
        if let entityValue = read["entity"], entityValue != .null {
            guard case .string(let text) = entityValue, let id = EntityID(text) else {
                throw WireError(.invalidIdentifier, "\"entity\" must be an entity id", path: read.path("entity"))
            }
            entity = id
        }
        guard case .string(let what)? = read["what"], FieldName.isValid(what.replacingOccurrences(of: "-", with: "_")) else {
            throw WireError(.invalidName, "\"what\" must name the view, such as case-show or note-show", path: read.path("what"))
        }
        self.init(at: at, caseID: caseID, entity: entity, what: what)
    }
}
