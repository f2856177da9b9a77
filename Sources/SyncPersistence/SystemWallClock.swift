import Foundation
import SyncCore

/// The machine's real clock, for the server and the field client. SyncCore
/// never reads it directly.
public struct SystemWallClock: WallClock {
    public init() {}

    public func milliseconds() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
