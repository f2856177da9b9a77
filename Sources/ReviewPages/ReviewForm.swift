import Foundation
import Hummingbird
import NIOCore
import PageKit
import SyncService

/// A form posted to the review pages: URL-encoded, with the session's CSRF token.
protocol ReviewFormBody: Decodable, Sendable {
    var csrf: String? { get }
}

enum ReviewForm {
    /// Room for a merged note body (values may be up to 512 KiB) and a reason.
    static let maximumBytes = 2 * 1024 * 1024

    /// Decodes a form and checks its CSRF token against the session's. A
    /// missing or wrong token is a 403, before anything in the form is used.
    static func decode<Form: ReviewFormBody>(_ type: Form.Type, from request: Request, session: ReviewSession) async throws -> Form {
        let form = try await decodeUnchecked(type, from: request)
        guard let token = form.csrf, ConstantTime.equals(token.utf8, session.csrfToken.utf8) else {
            throw ReviewPageError.csrfRefused
        }
        return form
    }

    /// Decodes a form without a session (the sign-in form checks its own token).
    static func decodeUnchecked<Form: Decodable>(
        _ type: Form.Type, from request: Request, limit: Int = maximumBytes
    ) async throws -> Form {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else {
            throw ReviewPageError(status: .unsupportedMediaType, heading: "Unsupported form",
                                  message: "Send the form from the review page (application/x-www-form-urlencoded).")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ReviewPageError(status: .contentTooLarge, heading: "The form is too large",
                                  message: "This form may hold at most \(limit / 1024) KiB.")
        }
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
        } catch {
            throw ReviewPageError.badRequest("The form could not be read. Go back, reload the page and send it again.")
        }
    }
}

extension String {
    /// Browsers send a textarea's line breaks as CR LF; notes written on the
    /// laptops use LF, and a merged body must not differ from them by that alone.
    var withUnixLineBreaks: String {
        replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}
