import Foundation
import SyncCore

/// The body of `POST /v1/push` (Protocol.md §10.3), checked member by member.
struct PushRequest: Sendable {
    /// Chosen by the client, unique per device; a retry sends the same id.
    let batch: String
    let operations: [SyncCore.Operation]
    let reads: [OfflineRead]
    /// Receipt proofs of operations sent again after a restore (§10.3).
    let proofs: [OperationID: String]

    /// A read of case data made on the laptop, uploaded for the audit log.
    struct OfflineRead: Sendable {
        let at: Int64
        let caseID: EntityID
        let entity: EntityID?
        let what: String
    }

    static let maximumOperations = 1_000
    static let maximumReads = 10_000

    init(_ body: JSONValue, codec: OperationCodec) throws(Problem) {
        guard case .object(let members) = body else {
            throw Problem.badRequest("wrong-type", "the body must be a JSON object with members batch, operations and reads")
        }
        if let unknown = members.keys.first(where: { !["batch", "operations", "reads", "proofs"].contains($0) }) {
            throw Problem.badRequest("unknown-member", "unknown member \"\(unknown)\"", path: unknown)
        }
        guard case .string(let batch)? = members["batch"] else {
            throw Problem.badRequest(members["batch"] == nil ? "missing-member" : "wrong-type",
                                     "\"batch\" must be a string naming this batch", path: "batch")
        }
        guard Self.isValidBatchID(batch) else {
            throw Problem.badRequest("invalid-identifier", "\"batch\" must be 1 to 128 characters A-Z, a-z, 0-9, '-', '_', '.'", path: "batch")
        }
        guard let operationsValue = members["operations"] else {
            throw Problem.badRequest("missing-member", "missing member \"operations\"", path: "operations")
        }
        if case .array(let items) = operationsValue, items.count > Self.maximumOperations {
            throw Problem.invalidOperations(OperationError(path: "operations", reason: .tooManyOperations(limit: Self.maximumOperations)))
        }
        do {
            operations = try codec.operations(from: operationsValue, path: "operations")
        } catch {
            throw Problem.invalidOperations(error)
        }
        var reads: [OfflineRead] = []
        if let readsValue = members["reads"] {
            guard case .array(let items) = readsValue else {
                throw Problem.badRequest("wrong-type", "\"reads\" must be an array", path: "reads")
            }
            guard items.count <= Self.maximumReads else {
                throw Problem.badRequest("too-large", "at most \(Self.maximumReads) reads per push", path: "reads")
            }
            for (index, item) in items.enumerated() {
                reads.append(try Self.read(item, path: "reads[\(index)]"))
            }
        }
        var proofs: [OperationID: String] = [:]
        if let proofsValue = members["proofs"] {
            guard case .object(let entries) = proofsValue else {
                throw Problem.badRequest("wrong-type", "\"proofs\" must be an object of operation id to receipt proof", path: "proofs")
            }
            guard entries.count <= Self.maximumOperations else {
                throw Problem.badRequest("too-large", "at most \(Self.maximumOperations) proofs per push", path: "proofs")
            }
            for (key, value) in entries {
                guard let id = OperationID(key) else {
                    throw Problem.badRequest("invalid-identifier", "a key of \"proofs\" must be an operation id", path: "proofs")
                }
                guard case .string(let proof) = value, (1...64).contains(proof.utf8.count) else {
                    throw Problem.badRequest("wrong-type", "a receipt proof must be a string of 1 to 64 characters", path: "proofs.\(key)")
                }
                proofs[id] = proof
            }
        }
        self.batch = batch
        self.reads = reads
        self.proofs = proofs
    }

    static func isValidBatchID(_ text: String) -> Bool {
        (1...128).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."): true
            default: false
            }
        }
    }

    private static func read(_ value: JSONValue, path: String) throws(Problem) -> OfflineRead {
        guard case .object(let members) = value else {
            throw Problem.badRequest("wrong-type", "a read must be an object with at, case, what and optionally entity", path: path)
        }
        if let unknown = members.keys.first(where: { !["at", "case", "entity", "what"].contains($0) }) {
            throw Problem.badRequest("unknown-member", "unknown member \"\(unknown)\"", path: "\(path).\(unknown)")
        }
        guard case .integer(let at)? = members["at"], at >= Int64(HLCTimestamp.earliestMilliseconds), at < Int64(HLCTimestamp.latestMilliseconds) else {
            throw Problem.badRequest("invalid-timestamp", "\"at\" must be milliseconds since 1970 between 2020 and 2100", path: "\(path).at")
        }
        guard case .string(let caseText)? = members["case"], let caseID = EntityID(caseText) else {
            throw Problem.badRequest("invalid-identifier", "\"case\" must be a case id (32 lowercase hex digits)", path: "\(path).case")
        }
        var entity: EntityID?
        if let entityValue = members["entity"], entityValue != .null {
            guard case .string(let text) = entityValue, let id = EntityID(text) else {
                throw Problem.badRequest("invalid-identifier", "\"entity\" must be an entity id", path: "\(path).entity")
            }
            entity = id
        }
        guard case .string(let what)? = members["what"], FieldName.isValid(what.replacingOccurrences(of: "-", with: "_")) else {
            throw Problem.badRequest("invalid-name", "\"what\" must name the view, such as case-show or note-show", path: "\(path).what")
        }
        return OfflineRead(at: at, caseID: caseID, entity: entity, what: what)
    }
}
