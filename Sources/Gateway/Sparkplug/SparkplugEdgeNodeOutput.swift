import Logging
import MQTT
import Recovery
import Sparkplug

/// Sends the gateway's own Sparkplug edge node (`SparkplugEdgeNode`) on its connection
/// (`BrokerSession.sparkplug`, client id `<client-id>-spb`, its will the `NDEATH` of the
/// connection's `bdSeq`): births when the connection is up and when a host asks
/// (`NCMD Node Control/Rebirth`), then the cleaned messages the `Publisher` sends, as data.
///
/// Sparkplug's data is QoS 0, so this output is a live view: a message the broker never took
/// shows to a host as a break in `seq` (it then asks for a rebirth), and the complete record stays
/// the `cleaned/` topics and replays. It mirrors what goes out on `cleaned/`, at the pace the
/// broker acknowledges those, so it needs no queue of its own. Confined to the service loop.
final class SparkplugEdgeNodeOutput {
    private var node: SparkplugEdgeNode
    private var client: MQTTClient
    private let logger: Logger
    private(set) var counters = Counters()

    struct Counters: Equatable {
        /// Messages handed to the connection, by kind.
        var births = 0
        var data = 0
        /// Rebirths a host asked for and was given.
        var rebirths = 0
        /// Messages the connection refused (a host sees the break in `seq`).
        var failed = 0
        /// Cleaned messages shown while the connection was down (their last values go in the next births).
        var whileOffline = 0
    }

    init(id: SparkplugEdgeNodeID, client: MQTTClient, logger: Logger) {
        node = SparkplugEdgeNode(id: id)
        self.client = client
        self.logger = logger
    }

    var id: SparkplugEdgeNodeID { node.id }
    var deviceCount: Int { node.deviceCount }

    /// A SIGHUP replaced the connection: births go out again once it is up.
    func reconnected(to next: MQTTClient) {
        client = next
        node.offline()
    }

    /// The connection is up with `bdSeq` (its will's): `NBIRTH` and every `DBIRTH`.
    func connected(bdSeq: UInt64) {
        node.birth(bdSeq: bdSeq, now: Self.now)
        logger.info("Sparkplug edge node born", metadata: ["node": "\(node.id)", "bdSeq": "\(bdSeq)", "devices": "\(node.deviceCount)"])
        send()
    }

    func disconnected() {
        node.offline()
    }

    /// An `NCMD` arrived: a rebirth request (`Node Control/Rebirth` true) is answered with births
    /// of the same `bdSeq`; anything else is logged and ignored (the node has nothing to write).
    func command(_ payload: [UInt8]) {
        guard let bdSeq = node.bdSeq else { return }
        guard let decoded = try? SparkplugPayload(decoding: payload) else {
            logger.warning("ignored an NCMD that is not a Sparkplug B payload", metadata: ["node": "\(node.id)"])
            return
        }
        guard decoded.metrics.contains(where: { $0.name == "Node Control/Rebirth" && $0.value == .boolean(true) }) else {
            logger.info(
                "ignored an NCMD other than a rebirth request", metadata: ["metrics": "\(decoded.metrics.compactMap(\.name).joined(separator: ","))"])
            return
        }
        counters.rebirths += 1
        logger.notice("a Sparkplug host asked for a rebirth", metadata: ["node": "\(node.id)"])
        node.birth(bdSeq: bdSeq, now: Self.now)
        send()
    }

    /// Shows one publication being sent (only cleaned messages count).
    func show(_ p: Publication) {
        if node.show(p, now: Self.now), !node.isOnline { counters.whileOffline += 1 }
    }

    /// Sends what the node made since the last call.
    func send() {
        let messages = node.take(now: Self.now)
        for m in messages {
            do {
                _ = try client.publish(topic: m.topic, payload: m.payload, qos: .atMostOnce)
                if m.isBirth { counters.births += 1 } else { counters.data += 1 }
            } catch {
                counters.failed += 1
                if counters.failed == 1 || counters.failed.isMultiple(of: 1000) {
                    logger.warning("Sparkplug publish failed", metadata: ["topic": "\(m.topic)", "error": "\(error)", "failed": "\(counters.failed)"])
                }
            }
        }
    }

    private static var now: UInt64 { UInt64(max(0, Clocks.epochMilliseconds())) }
}
