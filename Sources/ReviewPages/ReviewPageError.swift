import Hummingbird
import Logging
import PageKit
import SyncService

/// A refusal on the review pages, shown to the person as an HTML page with the
/// right status (never a stack trace, never a 5xx for bad input).
struct ReviewPageError: Error, Sendable {
    let status: HTTPResponse.Status
    let heading: String
    let message: String

    static func badRequest(_ message: String) -> ReviewPageError {
        ReviewPageError(status: .badRequest, heading: "The form is not valid", message: message)
    }

    static func notFound(_ message: String) -> ReviewPageError {
        ReviewPageError(status: .notFound, heading: "Not found", message: message)
    }

    static let notAllowed = ReviewPageError(
        status: .forbidden, heading: "Not allowed",
        message: "The review pages are for supervisors (teamledere) and administrators. Caseworkers work in the field client on their laptop.")

    static let storageFull = ReviewPageError(
        status: .serviceUnavailable, heading: "The server cannot store changes right now",
        message: "The server's disk is full, so nothing was saved. Try again later; if it goes on, tell the office's IT.")

    /// The server's own clock is outside the years the protocol allows: what
    /// it wrote could not be read back by any replica.
    static func serverClockWrong(_ detail: String) -> ReviewPageError {
        ReviewPageError(status: .serviceUnavailable, heading: "The server's clock is wrong",
                        message: "Nothing was saved: \(detail). Tell the office's IT to set the server's date and time.")
    }
}

extension ReviewPageError {
    /// PageKit's refusals (a form's CSRF token, its origin, its size), in
    /// the review pages' words.
    init(_ error: PageError) {
        let (catalogues, language) = (ReviewRenderer.catalogues, ReviewRenderer.language)
        var message = catalogues.text(error.messageKey, language, arguments: error.arguments)
        if let detail = error.detail { message += " (\(detail))" }
        self.init(status: error.status, heading: catalogues.text(error.headingKey, language), message: message)
    }
}

/// Turns every error of a review route into an HTML error page.
struct ReviewErrorMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    struct ErrorPage: Sendable {
        let chrome: ReviewChrome
        let status: Int
        let heading: String
        let message: String
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ReviewPageError {
            return Self.page(for: error, session: context.reviewSession)
        } catch let error as PageError {
            return Self.page(for: ReviewPageError(error), session: context.reviewSession)
        } catch let error as ServerClockOutOfRange {
            return Self.page(for: .serverClockWrong(error.detail), session: context.reviewSession)
        } catch is StorageFull {
            var response = Self.page(for: .storageFull, session: context.reviewSession)
            response.headers[.retryAfter] = "\(StorageFull.retryAfterSeconds)"
            return response
        } catch let error as HTTPError where error.status.code < 500 {
            return Self.page(for: ReviewPageError(status: error.status, heading: error.status.reasonPhrase,
                                                  message: error.body ?? error.status.reasonPhrase),
                             session: context.reviewSession)
        } catch {
            if let problem = Self.refusal(error) {
                return Self.page(for: ReviewPageError(status: problem.status, heading: problem.title, message: problem.detail),
                                 session: context.reviewSession)
            }
            context.logger.error("unhandled error on a review page", metadata: ["error": "\(String(reflecting: error))"])
            return Self.page(for: ReviewPageError(status: .internalServerError, heading: "Server error",
                                                  message: "The server failed to handle the request; it has been logged."),
                             session: context.reviewSession)
        }
    }

    /// The problem a refusal of the request maps to, as a laptop would be
    /// answered; nil for a fault.
    private static func refusal(_ error: any Error) -> Problem? {
        Problem(mapping: error).flatMap { $0.status.code < 500 ? $0 : nil }
    }

    /// A path under /review that no route answers, or answers with other methods.
    static func unmatchedPage(_ request: Request, allowed: [HTTPRequest.Method]?) -> Response {
        guard let allowed else {
            return page(for: .notFound("There is no page at \(request.uri.path)."), session: nil)
        }
        let methods = allowed.map(\.rawValue).joined(separator: ", ")
        var response = page(
            for: ReviewPageError(status: .methodNotAllowed, heading: "Method not allowed",
                                 message: "\(request.uri.path) accepts \(methods) only."),
            session: nil)
        response.headers[.allow] = methods
        return response
    }

    static func page(for error: ReviewPageError, session: ReviewSession?) -> Response {
        ReviewRenderer.shared.page(
            "error",
            ErrorPage(chrome: ReviewChrome(error.heading, session: session), status: Int(error.status.code),
                      heading: error.heading, message: error.message),
            status: error.status)
    }
}
