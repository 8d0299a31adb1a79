import NIOCore
import Synchronization

/// The HTTP endpoint's open connections, so its shutdown can end them.
///
/// On graceful shutdown the server stops accepting and waits for every open connection to
/// finish its request. A client that never reads a large answer (a stalled scrape, a browser
/// tab on a frozen laptop) never lets it finish, and the gateway, its drain long done, would not
/// exit until systemd killed it. So a connection still open `grace` after shutdown began is
/// closed (`closeAll(after:)`): the answers in flight by then get their time, a stalled client
/// does not hold the process.
final class OpenConnections: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    /// A handler for a new connection's pipeline that keeps it in this set while it is open.
    func tracker() -> any RemovableChannelHandler { Tracker(set: self) }

    /// Closes every connection open `delay` from now, on its own event loop.
    func closeAll(after delay: TimeAmount) {
        for channel in channels.withLock({ Array($0.values) }) {
            channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
        }
    }

    fileprivate func opened(_ channel: any Channel) { channels.withLock { $0[ObjectIdentifier(channel)] = channel } }
    fileprivate func closed(_ channel: any Channel) { _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }

    /// Adds its connection to the set when added to the pipeline, removes it when inactive.
    private final class Tracker: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let set: OpenConnections

        init(set: OpenConnections) { self.set = set }

        func handlerAdded(context: ChannelHandlerContext) { set.opened(context.channel) }
        func handlerRemoved(context: ChannelHandlerContext) { set.closed(context.channel) }

        func channelInactive(context: ChannelHandlerContext) {
            set.closed(context.channel)
            context.fireChannelInactive()
        }
    }
}
