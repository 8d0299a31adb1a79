import NIOCore

/// Closes an HTTP connection whose request head has not fully arrived within `deadline` of its
/// accept: a client that connects and says nothing, or drips a request a byte at a time, holds
/// a connection slot only that long, so a crowd of them cannot keep `/healthz` from answering
/// (the idle timeout alone never fires for a client that sends a byte now and then).
///
/// Sits after the HTTP decoder, where the first read is the request's complete head; from then
/// on the idle timeout governs the connection. Every answer closes its connection
/// (`Connection: close`), so each connection carries one request.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?
    private var headArrived = false

    init(deadline: TimeAmount) { self.deadline = deadline }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !headArrived {
            headArrived = true
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }
}
