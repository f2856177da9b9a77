import HTTPTypes
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
@testable import SyncService
import Testing

/// The connection timers as a transcript: what the client sends, what the
/// clock does, and whether the connection is still open.
@Suite struct RequestTimeoutHandlerTests {
    static func connectedChannel(maximumPipelined: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestTimeoutHandler(
            headTimeout: .seconds(30), bodyTimeout: .seconds(300), stallTimeout: .seconds(60),
            maximumPipelined: maximumPipelined, logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func request(_ path: String, on channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: path)))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    /// A client that asks and never reads the answer: the socket fills and no
    /// other timer runs while a request is being answered.
    @Test func anAnswerTheClientDoesNotReadClosesTheConnectionAfterTheStallTimeout() throws {
        let channel = try Self.connectedChannel()
        try Self.request("/v1/pull", on: channel)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "closed before the stall timeout")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "a client that reads nothing holds its connection for ever")
    }

    /// A slow reader that does read now and then keeps its connection.
    @Test func aSlowReaderThatReadsKeepsItsConnection() throws {
        let channel = try Self.connectedChannel()
        try Self.request("/v1/pull", on: channel)
        for _ in 0..<5 {
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
            channel.embeddedEventLoop.advanceTime(by: .seconds(50))
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
        }
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test func requestsSentFarAheadOfTheirAnswersCloseTheConnection() throws {
        let channel = try Self.connectedChannel(maximumPipelined: 4)
        for _ in 0..<4 { try Self.request("/health", on: channel) }
        #expect(channel.isActive)
        try? Self.request("/health", on: channel)
        #expect(!channel.isActive)
    }
}
