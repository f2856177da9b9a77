import Hummingbird

/// Authenticates the bearer token of every request it guards. A revoked device
/// or a removed user gets `purge-required`, which tells the laptop to delete
/// its case data.
struct DeviceAuthenticator: RouterMiddleware {
    typealias Context = SyncRequestContext
    let database: ServerDatabase

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthenticated("missing Authorization header; sign in with POST /v1/devices and send Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", parts[1].hasPrefix(DeviceToken.prefix), parts[1].count < 200 else {
            throw Problem.unauthenticated("the Authorization header must be 'Bearer <device token>'")
        }
        switch try await database.authenticate(token: String(parts[1])) {
        case .valid(let device):
            var context = context
            context.device = device
            context.logger[metadataKey: "user"] = "\(device.user)"
            context.logger[metadataKey: "device"] = "\(device.replica)"
            return try await next(request, context)
        case .unknown:
            throw Problem.unauthenticated("the device token is not valid (logged out, or never issued); sign in again")
        case .purge(let reason):
            throw Problem.purgeRequired(reason)
        }
    }
}
