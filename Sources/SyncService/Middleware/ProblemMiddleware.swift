import Hummingbird
import Logging

/// Turns every error escaping a route into an `application/problem+json`
/// response (`Problem(mapping:)`), so that no client ever sees a bare status
/// or a stack trace.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedMethods: AllowedMethods
    /// Whose paths get a page of their own for an unmatched request.
    let frontEnds: [any WebFrontEnd]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router knows no route for this method; if the path exists with
            // other methods, that is a 405, not a 404.
            let path = String(request.uri.path.drop { $0 == "/" })
            if let frontEnd = frontEnds.first(where: { $0.serves(path) }) {
                // A browser on a front end's pages gets a page, not a problem document.
                return frontEnd.unmatchedPage(request, allowed: allowedMethods(path))
            }
            if let allowed = allowedMethods(path) {
                return try Problem.methodNotAllowed(request.uri.path, allowed: allowed).response(from: request, context: context)
            }
            return try Problem(.notFound, code: "not-found", title: "Not found", detail: "there is no resource at \(request.uri.path)")
                .response(from: request, context: context)
        } catch let error as HTTPError {
            let problem = Problem(
                error.status, code: Self.code(for: error.status), title: error.status.reasonPhrase,
                detail: error.body ?? Self.detail(for: error.status, request: request))
            return try problem.response(from: request, context: context)
        } catch {
            // A full disk is logged once per episode where it was detected
            // (StorageFullWatch), not per request.
            if let problem = Problem(mapping: error) { return try problem.response(from: request, context: context) }
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return try Problem.internalError.response(from: request, context: context)
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "not-found"
        case .methodNotAllowed: "method-not-allowed"
        case .contentTooLarge: "body-too-large"
        case .badRequest: "bad-request"
        default: "http-\(status.code)"
        }
    }

    static func detail(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "there is no resource at \(request.uri.path)"
        case .methodNotAllowed: "\(request.uri.path) does not accept \(request.method)"
        default: status.reasonPhrase
        }
    }
}
