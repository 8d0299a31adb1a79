import Logging
import MQTT

/// Replaces the broker session when a SIGHUP changed the connection settings (broker address,
/// client id, credentials, TLS files or their contents; `LiveSettings`).
///
/// Nothing is lost on the way. Readings keep their rule: the new input connection hands each
/// message to the journal before acknowledging it, as the old one did, and what the old one's
/// broker session still queues stays there for a connection with its client id. Publications
/// keep theirs: what the old output connection had not seen acknowledged is read back from the
/// journal and sent on the new one (`OutboundQueue.resendUnacknowledged`), in order, and the
/// checkpoint only moves on the new connection's acknowledgements.
///
/// The old session is retired first (retained `offline` status, then disconnect, letting the
/// broker acknowledge what it can) and the new one started after, so that on the same broker
/// the new `online` status is the last word. Meanwhile the loop goes on journaling; it sends
/// once the new output connection is up.
enum BrokerReconnection {
    static func replace(
        _ old: BrokerSession, with configuration: GatewayConfiguration, sink: any MQTTMessageSink, inbox: Inbox,
        logger: Logger, startedAt: Int64
    ) throws -> BrokerSession {
        let next = try BrokerSession(
            configuration: configuration, sink: sink, inbox: inbox, logger: logger, startedAt: startedAt,
            previousStartedAt: old.previousStartedAt, generation: old.generation + 1)
        next.continueCounts(from: old)
        next.retiredFilters = old.retiredFilters
        let (ending, newInput, newOutput, newSparkplug) = (old.ending, next.input, next.output, next.sparkplug)
        let broker = "\(configuration.brokerScheme.rawValue)://\(configuration.brokerHost):\(configuration.brokerPort)"
        logger.notice("SIGHUP: closing the broker connections to reconnect with the new settings", metadata: ["broker": "\(broker)"])
        Task {
            await BrokerSession.retire(ending)
            do {
                try newOutput.start()
                try newSparkplug?.start()
                try newInput.start()
            } catch {
                logger.error("SIGHUP: the new broker connections did not start", metadata: ["error": "\(error)"])
            }
        }
        return next
    }
}
