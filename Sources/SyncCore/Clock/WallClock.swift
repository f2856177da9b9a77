/// The physical time a replica reads, in milliseconds since the Unix epoch.
/// SyncCore never reads the system clock itself: the server and the field client
/// pass the real clock, simulations pass one they control.
public protocol WallClock: Sendable {
    func milliseconds() -> UInt64
}
