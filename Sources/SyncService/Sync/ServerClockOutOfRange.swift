/// The server's own clock is outside the years the protocol allows
/// (Protocol.md §3), so it writes nothing: no replica could read back what
/// it stamped. Thrown by `writeFromReview`; the review pages show it as a 503.
public struct ServerClockOutOfRange: Error, Sendable {
    /// Why, in SyncCore's words (`OperationAuthor.AuthoringError`).
    public let detail: String
}
