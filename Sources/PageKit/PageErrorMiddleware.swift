import Hummingbird
import Logging

/// Turns every error of a route into an HTML error page, in the reader's
/// language: `PageError`s with their own status, Hummingbird's 4xx errors
/// (no route, a method not allowed) as "not found", and anything else as a
/// 500 that is logged and shows no detail.
public struct PageErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders the page of an error for a request.
    public let render: @Sendable (PageError, Request, Context) async -> Response

    public init(render: @escaping @Sendable (PageError, Request, Context) async -> Response) {
        self.render = render
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PageError {
            return await render(error, request, context)
        } catch let error as HTTPError where error.status.code < 500 {
            let status = error.status
            return await render(PageError(status: status, headingKey: PageError.notFound.headingKey,
                                          messageKey: PageError.notFound.messageKey), request, context)
        } catch {
            context.logger.error("unhandled error on a page", metadata: ["error": "\(String(reflecting: error))"])
            return await render(PageError(status: .internalServerError, headingKey: "errorServerHeading", messageKey: "errorServerMessage"),
                                request, context)
        }
    }
}
