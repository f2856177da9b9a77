import Foundation
import Hummingbird
import PageKit
import SyncService

/// Forms posted to the review pages: PageKit's, with the session's CSRF token.
enum ReviewForm {
    /// Room for a merged note body (values may be up to 512 KiB) and a reason.
    static let maximumBytes = 2 * 1024 * 1024

    /// Decodes a form and checks its CSRF token against the session's. A
    /// missing or wrong token is a 403, before anything in the form is used.
    static func decode<Form: PageFormBody>(_ type: Form.Type, from request: Request, session: ReviewSession) async throws -> Form {
        try await PageForm.decode(type, from: request, csrfToken: session.csrfToken, limit: maximumBytes)
    }
}
