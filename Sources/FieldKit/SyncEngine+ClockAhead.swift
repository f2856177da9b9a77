import Foundation
import SyncCore

extension SyncEngine {
    /// What `field sync` did about changes the server found dated too far
    /// ahead of its clock (`409 clock-ahead`, Protocol.md §10.3).
    public struct Redated: Sendable, Equatable {
        public let count: Int
        /// How far the furthest of them was ahead of the server's clock.
        public let aheadOfServer: UInt64
        /// The server's time, which they carry now.
        public let serverTime: UInt64
        /// How far this computer's clock is ahead of the server's now (0 when
        /// it is not ahead by more than the drift the protocol allows).
        public let clockAhead: UInt64

        /// One line for the user: what happened, and what to do while the
        /// clock is still fast (the next changes will be re-dated again).
        public var notice: String {
            let changes = count == 1 ? "1 change was" : "\(count) changes were"
            var line = "\(changes) dated up to \(ClockText.span(aheadOfServer)) ahead of the server's clock and re-dated to the server's time (\(ClockText.time(serverTime)))"
            if clockAhead > 0 {
                line += "; this computer's clock is \(ClockText.span(clockAhead)) ahead of the server's: set the correct date and time (for example turn on automatic date and time), or the changes you write until then will be re-dated like this at each sync; if this computer's clock is right, the server's is wrong: tell the office's IT"
            }
            return line
        }
    }

    /// Re-dates the refused changes (and those queued after them) to the
    /// server's time, not this computer's, which is what was wrong; never
    /// those sent again after a restore (`sparing`): other laptops may hold them.
    func redate(_ refused: [OperationID], serverTime: UInt64, sparing resent: Set<OperationID>) async throws -> Redated {
        guard let restamped = try await replica.restampAhead(of: refused, serverTime: serverTime, sparing: resent) else {
            throw FieldError.clockAhead(serverTime: serverTime, operations: refused, detail: "the refused changes are not waiting on this laptop")
        }
        let now = replica.clock.milliseconds()
        let fast = now > serverTime ? now - serverTime : 0
        let furthest = restamped.oldMilliseconds?.upperBound ?? serverTime
        return Redated(
            count: restamped.count, aheadOfServer: furthest > serverTime ? furthest - serverTime : 0, serverTime: serverTime,
            clockAhead: fast > HybridLogicalClock.defaultMaximumDrift ? fast : 0)
    }
}
