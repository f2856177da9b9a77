import Hummingbird
import Synchronization
import SyncCore

/// Reads a request body only when `BodyBudget` has room for it. It sits
/// behind authentication, so only signed-in devices and sessions can take
/// the budget; a body that waits too long is refused with `503 server-busy`
/// and `Retry-After`.
///
/// A device sends one body at a time (a laptop pushes one batch after the
/// other): a second while its first is still being read is refused at once,
/// so that one device (a lost laptop's token) cannot take the whole budget by
/// opening bodies it never finishes.
struct BodyAdmissionMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext
    let budget: BodyBudget
    /// What an unknown length (a chunked body) is charged: the largest body any route reads.
    let unknownLengthCharge: Int
    let reading = DevicesReading()

    /// The devices whose body is being read now.
    final class DevicesReading: Sendable {
        private let devices = Mutex<Set<ReplicaID>>([])

        func begin(_ device: ReplicaID) -> Bool { devices.withLock { $0.insert(device).inserted } }
        func end(_ device: ReplicaID) { _ = devices.withLock { $0.remove(device) } }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let charge = charge(for: request) else { return try await next(request, context) }
        let device = context.device?.replica
        if let device {
            guard reading.begin(device) else {
                context.logger.notice("body refused: this device is already sending one", metadata: ["device": "\(device)"])
                throw Problem.serverBusy(retryAfterSeconds: Self.retryAfterSeconds)
            }
        }
        defer { if let device { reading.end(device) } }
        guard await budget.reserve(charge) else {
            context.logger.notice("body refused: the body budget stayed full", metadata: ["bytes": "\(charge)"])
            throw Problem.serverBusy(retryAfterSeconds: Self.retryAfterSeconds)
        }
        do {
            let response = try await next(request, context)
            await budget.release(charge)
            return response
        } catch {
            await budget.release(charge)
            throw error
        }
    }

    /// Long enough for a full push ahead to be decoded and stored.
    static var retryAfterSeconds: Int { 5 }

    /// The declared length, or the largest body for a chunked one (a POST,
    /// PUT or PATCH without `Content-Length`: the HTTP/1 codec does not pass
    /// `Transfer-Encoding` on); nil for a request without a body.
    private func charge(for request: Request) -> Int? {
        if let text = request.headers[.contentLength] {
            guard let length = Int(text), length > 0 else { return nil }
            // Routes stop reading at their limit and answer 413, so no body
            // costs more than that however long it claims to be.
            return min(length, unknownLengthCharge)
        }
        return [.post, .put, .patch].contains(request.method) ? unknownLengthCharge : nil
    }
}
