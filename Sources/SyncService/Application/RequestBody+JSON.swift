import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import SyncCore

extension Request {
    /// The JSON body's bytes, for a wire type to decode (`WireError` if it
    /// is not of its form), refusing more than `limit` bytes with a problem
    /// that states the limit, and another media type.
    func jsonBody(limit: Int) async throws -> Data {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw Problem.bodyTooLarge(limit: limit)
        }
        if let contentType = headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw Problem(.unsupportedMediaType, code: "unsupported-media-type", title: "Unsupported media type",
                          detail: "send the body as application/json, not \(contentType)")
        }
        return Data(buffer: buffer)
    }
}

extension URI {
    /// A query parameter parsed by `parse`, or nil if absent; a present but
    /// unparsable value is a problem naming the parameter.
    func parameter<T>(_ name: String, as what: String, _ parse: (String) -> T?) throws(Problem) -> T? {
        guard let text = queryParameters[Substring(name)].map(String.init) else { return nil }
        guard let value = parse(text) else {
            throw Problem.badRequest("invalid-parameter", "query parameter \(name) must be \(what), not '\(text)'", path: name)
        }
        return value
    }
}
