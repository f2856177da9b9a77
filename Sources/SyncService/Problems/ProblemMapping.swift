import Hummingbird
import SyncCore

/// The one place where the errors of storage, sync and the wire documents
/// become problem documents (Protocol.md §10.1): the router's middleware asks
/// here, and those errors know nothing of HTTP.
extension Problem {
    /// The problem for an error a request may end in, or nil for one no
    /// request should meet (a fault: logged, answered `500 internal`).
    public init?(mapping error: any Error) {
        switch error {
        case let problem as Problem: self = problem
        case let error as WireError: self = Self.invalidDocument(error)
        case let refusal as PushRefusal: self = Self.refusedPush(refusal)
        case let refusal as PullRefusal: self = Self.refusedPull(refusal)
        case let refusal as SignInRefusal: self = Self.signInRefused(refusal)
        case AccountError.cannotResume: self = Self.cannotResume
        case is StorageFull: self = Self.storageFull
        default: return nil
        }
    }

    /// A request body (or a member of it) not of the required form: 400; an
    /// operation in it that is not valid: 422 (409 for §8's duplicates).
    static func invalidDocument(_ error: WireError) -> Problem {
        switch error.reason {
        case .invalid(let code, let detail): .badRequest(code.rawValue, detail, path: error.path)
        case .invalidOperation(let operationError): invalidOperations(operationError)
        }
    }

    /// A refused operation or batch, with the code and path SyncCore gave.
    static func invalidOperations(_ error: OperationError) -> Problem {
        let status: HTTPResponse.Status = switch error.reason {
        case .conflictingDuplicate, .sequenceNumberTaken: .conflict
        // 413 is kept for a body over the byte limit; a value or a batch over a
        // count limit is a well-formed request that breaks a rule: 422.
        default: .unprocessableContent
        }
        return Problem(status, code: error.reason.code, title: "The operations were refused", detail: error.description,
                       extensions: ["path": .string(error.path)])
    }

    static func refusedPush(_ refusal: PushRefusal) -> Problem {
        switch refusal {
        case .forgedAuthor(let index, let author, let user):
            Problem(.forbidden, code: "forged-author", title: "Not allowed",
                    detail: "operation author \(author) is not the signed-in user \(user)",
                    extensions: ["path": .string("operations[\(index)].author")])
        case .forgedDevice(let index, let operation, let device):
            Problem(.forbidden, code: "forged-device", title: "Not allowed",
                    detail: "operation \(operation) was not written on this device (\(device))",
                    extensions: ["path": .string("operations[\(index)].id")])
        case .clockAhead(let index, let ahead, let limit, let serverTime, let operations):
            clockAhead(index: index, ahead: ahead, limit: limit, serverTime: serverTime, operations: operations)
        case .refusedWrite(let refusal): refusedWrite(refusal)
        case .invalidOperation(let error): invalidOperations(error)
        case .batchIDReused(let batch):
            Problem(.conflict, code: "batch-id-reused", title: "The batch id was used for other operations",
                    detail: "batch \(batch) was stored before with other operations; a retry sends the same operations, "
                        + "and a new batch needs a new id",
                    extensions: ["path": "batch"])
        }
    }

    /// An operation the write rules refuse (Protocol.md §5, §10.3), at its
    /// place in the request as sent.
    static func refusedWrite(_ refusal: WriteRefusal) -> Problem {
        let (status, title): (HTTPResponse.Status, String) = switch refusal.reason {
        case .notAMember, .membershipChangeNotAllowed, .resolutionNotAllowed: (.forbidden, "Not allowed")
        case .unknownCase: (.notFound, "Unknown case")
        case .unknownEntity: (.notFound, "Unknown entity")
        case .caseMismatch: (.conflict, "Entity belongs to another case")
        case .entityExists: (.conflict, "Entity exists already")
        case .unknownEntityType, .kindNotAllowed, .unknownField, .invalidValue: (.unprocessableContent, "The operations were refused")
        }
        return Problem(status, code: refusal.code, title: title, detail: refusal.detail, extensions: ["path": .string(refusal.path)])
    }

    /// Operations dated further ahead of the server's clock than it accepts
    /// (Protocol.md §3, §10.3). The device re-dates them, to `serverTime`,
    /// and sends them again under new ids: the server holds none of them.
    static func clockAhead(index: Int, ahead: UInt64, limit: UInt64, serverTime: Int64, operations: [OperationID]) -> Problem {
        let minutes = ahead / 60_000
        let span = minutes >= 60 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
        let first = operations.first.map { "\($0)" } ?? "?"
        return Problem(
            .conflict, code: "clock-ahead", title: "The device's clock is ahead of the server's",
            detail: "the device's clock is ahead of the server's by \(span): operation \(first) is dated after the server's time "
                + "by more than the \(limit / 3_600_000) hours allowed (\(operations.count) operation\(operations.count == 1 ? "" : "s") in all); "
                + "correct the device's clock and send them again with new ids",
            extensions: ["path": .string("operations[\(index)].id"), "serverTime": .integer(serverTime), "ahead": .integer(Int64(ahead)),
                         "operations": .array(operations.map { .string($0.description) })])
    }

    static func refusedPull(_ refusal: PullRefusal) -> Problem {
        switch refusal {
        case .unknownCursor(let cursor):
            Problem(.conflict, code: "unknown-cursor", title: "Unknown cursor",
                    detail: "cursor \(cursor) is unknown to this device (or expired); pull without a cursor to start over",
                    extensions: ["path": "cursor"])
        }
    }

    static let cannotResume = Problem(
        .conflict, code: "cannot-resume", title: "The earlier sign-in cannot be resumed",
        detail: "this server cannot take back the device of that earlier sign-in; sign in as a new device",
        extensions: ["path": "resume"])

    /// 429 after too many failed sign-ins, 503 when the password checks are
    /// all taken; both say when to come back.
    static func signInRefused(_ refusal: SignInRefusal) -> Problem {
        var problem = switch refusal {
        case .throttled(let seconds, let limit):
            Problem(.tooManyRequests, code: "too-many-attempts", title: "Too many sign-in attempts",
                    detail: limit == .user
                        ? "too many failed sign-ins under this user name; try again in \(seconds) seconds"
                        : "too many failed sign-ins from this address; try again in \(seconds) seconds",
                    extensions: ["retryAfter": .integer(Int64(seconds))])
        case .busy:
            Problem(.serviceUnavailable, code: "sign-in-busy", title: "The server is busy",
                    detail: "the server is checking too many passwords at once; try again in a moment",
                    extensions: ["retryAfter": .integer(Int64(refusal.retryAfterSeconds))])
        }
        problem.headers[.retryAfter] = String(refusal.retryAfterSeconds)
        return problem
    }

    /// The disk under the database is full: nothing of the request was
    /// stored, and the same request succeeds once the operator has made room.
    /// Not a refusal of the request: the client keeps what it sent.
    static var storageFull: Problem {
        let seconds = StorageFull.retryAfterSeconds
        var problem = Problem(.serviceUnavailable, code: "storage-full", title: "The server cannot store changes",
                              detail: "the server cannot store changes right now: its disk is full; nothing was stored, try again later",
                              extensions: ["retryAfter": .integer(Int64(seconds))])
        problem.headers[.retryAfter] = "\(seconds)"
        return problem
    }
}
