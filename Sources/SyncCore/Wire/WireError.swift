/// Why a wire document (Protocol.md §10: a push batch, a receipt, a pull page,
/// a sign-in, a device state, a problem document) was refused: where in it
/// (`path`, e.g. `reads[2].case`, nil for the document as a whole) and what is
/// wrong, in the codes of Protocol.md §10.1. An operation inside a document
/// is refused by `OperationCodec`, whose error is kept whole: its codes are
/// those of §9, and the server answers them with another status.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Hashable, Sendable {
        case malformedJSON = "malformed-json"
        case wrongType = "wrong-type"
        case missingMember = "missing-member"
        case unknownMember = "unknown-member"
        case invalidIdentifier = "invalid-identifier"
        case invalidTimestamp = "invalid-timestamp"
        case invalidName = "invalid-name"
        case tooLarge = "too-large"
    }

    public enum Reason: Hashable, Sendable {
        /// The document or one of its own members is not of the required form.
        case invalid(Code, detail: String)
        /// An operation it carries is not valid (§9).
        case invalidOperation(OperationError)
    }

    public let path: String?
    public let reason: Reason

    public init(_ code: Code, _ detail: String, path: String? = nil) {
        self.path = path
        reason = .invalid(code, detail: detail)
    }

    public init(operation error: OperationError) {
        path = error.path
        reason = .invalidOperation(error)
    }

    /// The problem code of Protocol.md §10.1.
    public var code: String {
        switch reason {
        case .invalid(let code, _): code.rawValue
        case .invalidOperation(let error): error.reason.code
        }
    }

    /// For people: what is wrong (an operation's error names its path itself).
    public var detail: String {
        switch reason {
        case .invalid(_, let detail): detail
        case .invalidOperation(let error): error.description
        }
    }

    public var description: String {
        switch reason {
        case .invalid(_, let detail): path.map { "\($0): \(detail)" } ?? detail
        case .invalidOperation(let error): error.description
        }
    }
}
