import Hummingbird
import NIOCore

/// A form posted to the pages: URL-encoded, with the session's CSRF token.
public protocol PageFormBody: Decodable, Sendable {
    var csrf: String? { get }
}

public enum PageForm {
    /// Decodes a form and checks its CSRF token against the session's. A
    /// missing or wrong token is a 403, before anything in the form is used.
    public static func decode<Form: PageFormBody>(
        _ type: Form.Type, from request: Request, csrfToken: String, limit: Int
    ) async throws -> Form {
        let form = try await decodeUnchecked(type, from: request, limit: limit)
        guard PageSecret.matches(form.csrf, csrfToken) else { throw PageError.csrfRefused }
        return form
    }

    /// Decodes a form without checking a token (a sign-in form checks its own).
    /// The body is read only up to `limit` bytes: anyone may post.
    public static func decodeUnchecked<Form: Decodable>(_ type: Form.Type, from request: Request, limit: Int) async throws -> Form {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        guard contentType.hasPrefix("application/x-www-form-urlencoded") else { throw PageError.unsupportedForm }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw PageError.formTooLarge(limitBytes: limit)
        }
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: buffer))
        } catch {
            throw PageError.unreadableForm
        }
    }
}

extension String {
    /// Nil for a missing or blank form field.
    public var nonBlank: String? {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension String {
    /// Browsers send a textarea's line breaks as CR LF; text written on the
    /// laptops uses LF, and a value must not differ from another by that alone.
    public var withUnixLineBreaks: String {
        replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
    }
}

extension Optional where Wrapped == String {
    public var nonBlank: String? { self?.nonBlank }
}
