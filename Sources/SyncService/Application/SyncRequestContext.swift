import Hummingbird
import Logging
import NIOCore

/// Per-request context: Hummingbird's core plus the device the bearer token
/// belongs to, once `DeviceAuthenticator` has checked it.
public struct SyncRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var device: AuthenticatedDevice?
    /// The signed-in browser on the review pages, once `ReviewAuthenticator` (ReviewPages) has checked its cookie.
    public var reviewSession: ReviewSession?
    /// The peer of the connection, which sign-in limits count by (nil in
    /// Hummingbird's in-process test client).
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        device = nil
        reviewSession = nil
    }

    /// Push bodies are read with their own limit (`RequestLimits`); nothing is
    /// decoded through Hummingbird's decoder.
    public var maxUploadSize: Int { RequestLimits.maximumBodyBytes }

    func requireDevice() throws(Problem) -> AuthenticatedDevice {
        guard let device else { throw Problem.unauthenticated("this endpoint needs a device token: Authorization: Bearer <token>") }
        return device
    }
}

public enum RequestLimits {
    /// 16 MiB: a full batch of 1,000 operations with long note bodies.
    public static let maximumBodyBytes = 16 * 1024 * 1024
    public static let maximumLoginBodyBytes = 16 * 1024
}
