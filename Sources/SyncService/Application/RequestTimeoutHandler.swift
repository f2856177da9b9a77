import Logging
import NIOCore
import NIOHTTPTypes

/// Closes a connection that is too slow to send a request: its head within
/// `headTimeout` (counted from the opening, or from the end of the previous
/// exchange), its body within `bodyTimeout` of the head; that does not read
/// its answers: the socket full for `stallTimeout`; or that sends more than
/// `maximumPipelined` requests ahead of their answers.
///
/// Hummingbird's idle timeout alone does not do this: it restarts at every
/// byte of a body, and a client that trickles a body (or keeps a connection
/// open between requests) holds a file descriptor for as long as it likes.
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let stallTimeout: TimeAmount
    private let maximumPipelined: Int
    private let logger: Logger
    private var timer: Scheduled<Void>?
    /// Runs while the channel is not writable: the client is not reading.
    private var stallTimer: Scheduled<Void>?
    /// A request whose head arrived and whose end has not.
    private var readingRequest = false
    /// Requests whose head arrived and whose response has not been written to its end.
    private var unanswered = 0

    init(headTimeout: TimeAmount, bodyTimeout: TimeAmount, stallTimeout: TimeAmount, maximumPipelined: Int, logger: Logger) {
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.stallTimeout = stallTimeout
        self.maximumPipelined = maximumPipelined
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { armWhileIdle(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
        stallTimer?.cancel()
        stallTimer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        armWhileIdle(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        stallTimer?.cancel()
        stallTimer = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallTimer?.cancel()
            stallTimer = nil
        } else if stallTimer == nil {
            stallTimer = schedule(context, after: stallTimeout, reason: "response not read", isStall: true)
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingRequest = true
            unanswered += 1
            guard unanswered <= maximumPipelined else {
                logger.debug("closing a connection that sends requests ahead of their answers", metadata: [
                    "unanswered": "\(unanswered)", "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                ])
                context.close(promise: nil)
                return
            }
            arm(context, after: bodyTimeout, reason: "request body timeout")
        case .body:
            break
        case .end:
            readingRequest = false
            disarm()
            armWhileIdle(context)
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            unanswered -= 1
            armWhileIdle(context)
        }
        context.write(data, promise: promise)
    }

    /// Between requests the clock runs for the next head; while a request is
    /// being answered it does not run at all (a long pull is the server's time).
    private func armWhileIdle(_ context: ChannelHandlerContext) {
        guard !readingRequest, unanswered == 0, timer == nil else { return }
        arm(context, after: headTimeout, reason: "request head timeout")
    }

    private func arm(_ context: ChannelHandlerContext, after timeout: TimeAmount, reason: String) {
        disarm()
        timer = schedule(context, after: timeout, reason: reason, isStall: false)
    }

    /// Closes the connection after `timeout`, unless cancelled. Clears only
    /// its own slot: the other timer stays where `channelInactive` cancels it.
    private func schedule(_ context: ChannelHandlerContext, after timeout: TimeAmount, reason: String, isStall: Bool) -> Scheduled<Void> {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        return context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            if isStall { handler.stallTimer = nil } else { handler.timer = nil }
            handler.logger.debug("closing a slow connection", metadata: [
                "reason": "\(reason)", "remote": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
            ])
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

@available(*, unavailable)
extension RequestTimeoutHandler: Sendable {}
