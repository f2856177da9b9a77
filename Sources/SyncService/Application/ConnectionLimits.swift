import Foundation
import NIOCore

/// How long a connection may take over each part of a request, and how many
/// connections are served at once. Without them a few thousand half-sent
/// requests hold a file descriptor each until the server can accept no more.
public struct ConnectionLimits: Sendable, Equatable {
    /// Time to send a whole request head, from the connection's opening or the
    /// end of the previous response; an idle kept-alive connection is closed then too.
    public var requestHeadTimeout: Duration
    /// Time to send a whole request body once its head is in: 16 MiB at 56 KB/s.
    public var requestBodyTimeout: Duration
    /// Longest silence while a request is being received (Hummingbird's idle timeout).
    public var idleTimeout: Duration
    /// Longest a response may wait for the client to read it (the socket
    /// full, nothing taken); then the connection is closed. A client that
    /// pipelines requests and never reads the answers would otherwise hold
    /// its connection for ever: no other timer runs while a request is answered.
    public var responseStallTimeout: Duration = .seconds(60)
    /// Requests a connection may send ahead without waiting for their answers
    /// (HTTP/1.1 pipelining); one more closes it.
    public var maximumPipelinedRequests = 16
    /// Connections served at once; further ones wait in the listen backlog.
    public var maximumConnections: Int

    public init(
        requestHeadTimeout: Duration = .seconds(30), requestBodyTimeout: Duration = .seconds(300),
        idleTimeout: Duration = .seconds(60), maximumConnections: Int = 1024
    ) {
        self.requestHeadTimeout = requestHeadTimeout
        self.requestBodyTimeout = requestBodyTimeout
        self.idleTimeout = idleTimeout
        self.maximumConnections = maximumConnections
    }

    /// Descriptors kept apart from connections: the listening socket, the
    /// database, its WAL and shared memory, log output, the checkpointer.
    public static let reservedFileDescriptors = 64

    /// Raises the process's soft limit on open files as far as the connections
    /// need (the hard limit permitting), or refuses to start: a server that runs
    /// out of descriptors stops answering everyone, `/health` included.
    /// Returns the soft limit in force.
    @discardableResult
    public func ensureFileDescriptors() throws(ServerStartRefusal) -> Int {
        let needed = rlim_t(maximumConnections + Self.reservedFileDescriptors)
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw ServerStartRefusal("cannot read the limit on open files: \(String(cString: strerror(errno)))")
        }
        if limit.rlim_cur < needed, limit.rlim_max >= needed {
            var raised = limit
            raised.rlim_cur = needed
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        guard limit.rlim_cur >= needed else {
            throw ServerStartRefusal(
                "--max-connections \(maximumConnections) needs \(needed) open files, but this process may open only "
                    + "\(limit.rlim_cur) (hard limit \(limit.rlim_max)): lower --max-connections or raise ulimit -n")
        }
        return Int(limit.rlim_cur)
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (seconds, attoseconds) = components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
