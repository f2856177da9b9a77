import Foundation
import Hummingbird
import SyncCore

/// What both sign-ins (`POST /v1/devices` and `/review/sign-in`) do around
/// their password check: ask the limiter, audit a refusal, and tell the
/// limiter how the check went.
public struct SignInGuard: Sendable {
    let database: ServerDatabase
    let limiter: SignInLimiter

    /// Runs `check` unless the limiter refuses the attempt (then throws
    /// `SignInRefusal.throttled`). `failed` says whether its result was a
    /// wrong name or password.
    public func attempt<Result>(
        user: String, source: String, via: String?,
        _ check: () async throws -> Result, failed: (Result) -> Bool
    ) async throws -> Result {
        let name = UserName.normalized(user)
        // A name no account can have is counted under one key: guesses under
        // ever new nonsense names must not each get fresh tries or memory.
        let limitedName = UserID(name) != nil ? name : "\u{0}not-a-user-name"
        let sourceKey = Self.sourceKey(source)
        switch limiter.admit(user: limitedName, address: sourceKey) {
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
            } catch SignInRefusal.busy {
                limiter.finish(ticket, .abandoned)
                throw SignInRefusal.busy
            } catch {
                // A fault after the password was checked (the audit write of a
                // failure, say) must not make a guess free: it counts.
                limiter.finish(ticket, .failed)
                throw error
            }
            limiter.finish(ticket, failed(result) ? .failed : .succeeded)
            return result
        }
    }

    /// The key an address is limited under: an IPv4 address as it is; an IPv6
    /// address by its /64, which one subscriber holds whole (a limit per
    /// address would give each of its 2^64 addresses fresh tries); an
    /// IPv4-mapped IPv6 address as the IPv4 address it is.
    static func sourceKey(_ address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return stride(from: 0, to: 8, by: 2).map { String(format: "%02x%02x", bytes[$0], bytes[$0 + 1]) }.joined(separator: ":") + "::/64"
    }

    /// Where the attempt comes from: the peer of the connection, or, only when
    /// the operator said the server sits behind a proxy that appends it, the
    /// last address in `X-Forwarded-For`. Earlier entries are whatever the
    /// client wrote and are never used.
    public func source(of request: Request, context: SyncRequestContext) -> String {
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
