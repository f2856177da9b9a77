import Foundation
import Hummingbird
import SyncCore

/// An RFC 9457 problem document, and the error that carries it to the client.
///
/// `type` is a stable URN per kind of problem (`urn:casework-sync:problem:<code>`),
/// listed in Protocol.md; clients branch on it, never on `detail`, which is for people.
public struct Problem: Error, HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    public let code: String
    public let title: String
    public let detail: String
    /// Extension members, such as `path` (where in the input) or `purge` (the
    /// client must delete its local data).
    public var extensions: [String: JSONValue]
    /// Extra response headers, such as `Allow` on a 405.
    public var headers = HTTPFields()

    public init(_ status: HTTPResponse.Status, code: String, title: String, detail: String, extensions: [String: JSONValue] = [:]) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.extensions = extensions
    }

    public var type: String { "urn:casework-sync:problem:\(code)" }

    public var document: JSONValue {
        var members = extensions
        members["type"] = .string(type)
        members["title"] = .string(title)
        members["status"] = .integer(Int64(status.code))
        members["detail"] = .string(detail)
        return .object(members)
    }

    public static let mediaType = "application/problem+json"

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = Self.mediaType
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(data: OperationCodec.canonicalBytes(document))))
    }
}

extension Problem {
    public static func badRequest(_ code: String, _ detail: String, path: String? = nil) -> Problem {
        Problem(.badRequest, code: code, title: "The request is not valid", detail: detail,
                extensions: path.map { ["path": .string($0)] } ?? [:])
    }

    /// A refused operation or batch, with the code and path SyncCore gave.
    public static func invalidOperations(_ error: OperationError) -> Problem {
        let status: HTTPResponse.Status = switch error.reason {
        case .conflictingDuplicate, .sequenceNumberTaken: .conflict
        // 413 is kept for a body over the byte limit; a value or a batch over a
        // count limit is a well-formed request that breaks a rule: 422.
        default: .unprocessableContent
        }
        return Problem(status, code: error.reason.code, title: "The operations were refused", detail: error.description,
                       extensions: ["path": .string(error.path)])
    }

    /// An operation the write rules refuse (Protocol.md §5, §10.3), at its
    /// place in the request as sent.
    public static func refusedWrite(_ refusal: WriteRefusal, path: String) -> Problem {
        let (status, title): (HTTPResponse.Status, String) = switch refusal.reason {
        case .notAMember, .membershipChangeNotAllowed, .resolutionNotAllowed: (.forbidden, "Not allowed")
        case .unknownCase: (.notFound, "Unknown case")
        case .unknownEntity: (.notFound, "Unknown entity")
        case .caseMismatch: (.conflict, "Entity belongs to another case")
        case .entityExists: (.conflict, "Entity exists already")
        case .unknownEntityType, .kindNotAllowed, .unknownField, .invalidValue: (.unprocessableContent, "The operations were refused")
        }
        return Problem(status, code: refusal.code, title: title, detail: refusal.detail, extensions: ["path": .string(path)])
    }

    /// Operations dated further ahead of the server's clock than it accepts
    /// (Protocol.md §3, §10.3). The device re-dates them, to `serverTime`,
    /// and sends them again under new ids: the server holds none of them.
    public static func clockAhead(
        path: String, first: OperationID, ahead: UInt64, limit: UInt64, serverTime: Int64, operations: [OperationID]
    ) -> Problem {
        let minutes = ahead / 60_000
        let span = minutes >= 60 ? "\(minutes / 60) h \(minutes % 60) min" : "\(minutes) min"
        return Problem(
            .conflict, code: "clock-ahead", title: "The device's clock is ahead of the server's",
            detail: "the device's clock is ahead of the server's by \(span): operation \(first) is dated after the server's time "
                + "by more than the \(limit / 3_600_000) hours allowed (\(operations.count) operation\(operations.count == 1 ? "" : "s") in all); "
                + "correct the device's clock and send them again with new ids",
            extensions: ["path": .string(path), "serverTime": .integer(serverTime), "ahead": .integer(Int64(ahead)),
                         "operations": .array(operations.map { .string($0.description) })])
    }

    public static func unauthenticated(_ detail: String) -> Problem {
        Problem(.unauthorized, code: "unauthenticated", title: "Authentication required", detail: detail)
    }

    /// The device was revoked or its user removed: the client must delete every
    /// piece of case data it holds.
    public static func purgeRequired(_ detail: String) -> Problem {
        Problem(.unauthorized, code: "purge-required", title: "This device may no longer hold case data",
                detail: detail, extensions: ["purge": .bool(true)])
    }

    public static func forbidden(_ code: String, _ detail: String) -> Problem {
        Problem(.forbidden, code: code, title: "Not allowed", detail: detail)
    }

    public static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, code: "not-found", title: "Not found", detail: detail)
    }

    public static func bodyTooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, code: "body-too-large", title: "The request body is too large",
                detail: "the request body exceeds the limit of \(limit) bytes", extensions: ["limit": .integer(Int64(limit))])
    }

    public static func methodNotAllowed(_ path: String, allowed: [HTTPRequest.Method]) -> Problem {
        var problem = Problem(.methodNotAllowed, code: "method-not-allowed", title: "Method not allowed",
                              detail: "\(path) accepts \(allowed.map(\.rawValue).joined(separator: ", ")) only")
        problem.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return problem
    }

    /// The server has no room to read the body now; the client sends it again later.
    public static func serverBusy(retryAfterSeconds: Int) -> Problem {
        var problem = Problem(.serviceUnavailable, code: "server-busy", title: "The server is busy",
                              detail: "the server is reading as many request bodies as its memory allows; send again in \(retryAfterSeconds) s",
                              extensions: ["retryAfter": .integer(Int64(retryAfterSeconds))])
        problem.headers[.retryAfter] = "\(retryAfterSeconds)"
        return problem
    }

    /// The disk under the database is full: nothing of the request was
    /// stored, and the same request succeeds once the operator has made room.
    /// Not a refusal of the request: the client keeps what it sent.
    public static var storageFull: Problem {
        let seconds = StorageFull.retryAfterSeconds
        var problem = Problem(.serviceUnavailable, code: "storage-full", title: "The server cannot store changes",
                              detail: "the server cannot store changes right now: its disk is full; nothing was stored, try again later",
                              extensions: ["retryAfter": .integer(Int64(seconds))])
        problem.headers[.retryAfter] = "\(seconds)"
        return problem
    }

    /// 429 after too many failed sign-ins, 503 when the password checks are
    /// all taken; both say when to come back.
    public static func signInRefused(_ refusal: SignInRefusal) -> Problem {
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

    public static let internalError = Problem(
        .internalServerError, code: "internal", title: "Internal server error",
        detail: "the server failed to handle the request; it has been logged")
}
