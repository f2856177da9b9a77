import Foundation
import Hummingbird
import SyncCore

/// An RFC 9457 problem document (`ProblemDocument`) with its status and
/// headers: the error that carries it to the client. Thrown by the router
/// and its middleware, which speak HTTP; storage and sync throw errors of
/// their own, which `Problem(mapping:)` turns into problems in one place.
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

    public var document: ProblemDocument {
        ProblemDocument(code: code, title: title, status: Int(status.code), detail: detail, extensions: extensions)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = ProblemDocument.mediaType
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: document.encoded())))
    }
}

extension Problem {
    public static func badRequest(_ code: String, _ detail: String, path: String? = nil) -> Problem {
        Problem(.badRequest, code: code, title: "The request is not valid", detail: detail,
                extensions: path.map { ["path": .string($0)] } ?? [:])
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

    public static let internalError = Problem(
        .internalServerError, code: "internal", title: "Internal server error",
        detail: "the server failed to handle the request; it has been logged")
}
