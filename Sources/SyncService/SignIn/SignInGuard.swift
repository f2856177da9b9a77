import Foundation
import Hummingbird
import SyncCore

/// What both sign-ins (`POST /v1/devices` and `/review/sign-in`) do around
/// their password check: ask the limiter, audit a refusal, and tell the
/// limiter how the check went.
struct SignInGuard: Sendable {
    let database: ServerDatabase
    let limiter: SignInLimiter

    /// Runs `check` unless the limiter refuses the attempt (then throws
    /// `SignInRefusal.throttled`). `failed` says whether its result was a
    /// wrong name or password.
    func attempt<Result>(
        user: String, source: String, via: String?,
        _ check: () async throws -> Result, failed: (Result) -> Bool
    ) async throws -> Result {
        let name = UserName.normalized(user)
        switch limiter.admit(user: name, address: source) {
        case .refused(let seconds, let limit, let audit):
            if audit {
                var detail: [String: JSONValue] = [
                    "limit": .string(limit.rawValue), "source": .string(source), "retryAfter": .integer(Int64(seconds)),
                ]
                if let via { detail["via"] = .string(via) }
                try await database.recordAudit(.loginThrottled, actor: UserID(name) != nil ? name : nil, device: nil,
                                               detail: .object(detail))
            }
            throw SignInRefusal.throttled(retryAfterSeconds: seconds, limit: limit)
        case .admitted(let ticket):
            let result: Result
            do {
                result = try await check()
            } catch {
                limiter.finish(ticket, .abandoned)
                throw error
            }
            limiter.finish(ticket, failed(result) ? .failed : .succeeded)
            return result
        }
    }

    /// Where the attempt comes from: the peer of the connection, or, only when
    /// the operator said the server sits behind a proxy that appends it, the
    /// last address in `X-Forwarded-For`. Earlier entries are whatever the
    /// client wrote and are never used.
    func source(of request: Request, context: SyncRequestContext) -> String {
        if limiter.limits.trustForwardedFor,
           let forwarded = request.headers[values: .xForwardedFor].last?.split(separator: ",").last
        {
            let address = forwarded.trimmingCharacters(in: CharacterSet.whitespaces)
            if !address.isEmpty, address.count <= 64 { return address }
        }
        return context.remoteAddress?.ipAddress ?? "unknown"
    }
}

// HTTPField itself is not among the types Hummingbird re-exports.
extension HTTPFields.Element.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
