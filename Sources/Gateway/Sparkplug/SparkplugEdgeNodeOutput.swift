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
    /// A host's rebirth requests are answered at most this often (monotonic ms): each one sends a
    /// birth of every device, so a host asking in a loop must not make the node flood the broker.
    /// A request within the interval is answered when it ends.
    static let rebirthIntervalMs: Int64 = 2_000
    private var lastRebirthAt: Int64?
    private var rebirthWaiting = false
    /// `NCMD`s that were not rebirth requests: the first and every 1,000th are logged, so a
    /// host sending them in a loop cannot flood the log.
    private var ignoredCommands = 0

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

    /// The monotonic clock (ms) the rebirth interval is measured on (tests pass their own).
    private let monotonicNow: () -> Int64

    init(id: SparkplugEdgeNodeID, client: MQTTClient, logger: Logger, monotonicNow: @escaping () -> Int64 = Clocks.monotonicMilliseconds) {
        node = SparkplugEdgeNode(id: id)
        self.client = client
        self.logger = logger
        self.monotonicNow = monotonicNow
    }

    var id: SparkplugEdgeNodeID { node.id }
    var deviceCount: Int { node.deviceCount }

    /// A SIGHUP replaced the connection (and perhaps the node's id): births of every device
    /// known go out again, under that id, once it is up.
    func reconnected(to next: MQTTClient, as id: SparkplugEdgeNodeID) {
        client = next
        node.offline()
        node.id = id
    }

    /// The connection is up with `bdSeq` (its will's): `NBIRTH` and every `DBIRTH`.
    func connected(bdSeq: UInt64) {
        rebirthWaiting = false
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
        let decoded = try? SparkplugPayload(decoding: payload)
        guard let decoded, decoded.metrics.contains(where: { $0.name == "Node Control/Rebirth" && $0.value == .boolean(true) }) else {
            ignoredCommands += 1
            if ignoredCommands == 1 || ignoredCommands.isMultiple(of: 1000) {
                logger.warning(
                    "ignored an NCMD that is not a rebirth request (the first, and every 1,000th)",
                    metadata: [
                        "node": "\(node.id)", "ignored": "\(ignoredCommands)",
                        "metrics": "\(decoded.map { $0.metrics.compactMap(\.name).joined(separator: ",") } ?? "not a Sparkplug B payload")",
                    ])
            }
            return
        }
        rebirthWaiting = true
        rebirthIfDue(bdSeq: bdSeq)
    }

    private func rebirthIfDue(bdSeq: UInt64) {
        let now = monotonicNow()
        guard rebirthWaiting, lastRebirthAt.map({ now - $0 >= Self.rebirthIntervalMs }) ?? true else { return }
        rebirthWaiting = false
        lastRebirthAt = now
        counters.rebirths += 1
        logger.notice("a Sparkplug host asked for a rebirth", metadata: ["node": "\(node.id)"])
        node.birth(bdSeq: bdSeq, now: Self.now)
        send()
    }

    /// Shows one publication being sent (cleaned messages, and streams' `expired` states).
    func show(_ p: Publication) {
        if node.show(p, now: Self.now), !node.isOnline { counters.whileOffline += 1 }
    }

    /// Sends what the node made since the last call (and the births of a rebirth request whose
    /// interval has ended).
    func send() {
        if rebirthWaiting, let bdSeq = node.bdSeq { rebirthIfDue(bdSeq: bdSeq) }
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
