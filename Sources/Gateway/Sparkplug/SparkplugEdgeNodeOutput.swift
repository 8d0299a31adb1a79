import Logging
import MQTT
import Recovery
import Sparkplug

// Over 250 lines: births, host state, commands and data share the edge node's sequence and
// bdSeq; split, they would have to be opened to every part.
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
        /// Whether the node reaches the broker's subscribers (`SparkplugOutputHealth`), and since
        /// when (monotonic ms) it has not, with why.
        var up = false
        var downSince: Int64?
        var downReason: String?
    }

    /// The monotonic clock (ms) the rebirth interval is measured on (tests pass their own).
    private let monotonicNow: () -> Int64

    /// The primary host the node waits for (`sparkplug-primary-host`), whether its `STATE` says
    /// online, and the `bdSeq` of the connection that is up (a birth waits for the host on it).
    private var primaryHost: String?
    private var primaryHostOnline = false
    /// The `timestamp` of the newest primary host `STATE` taken, and how many older ones came.
    private var primaryHostTimestamp: UInt64?
    private var staleHostStates = 0
    private var sessionBdSeq: UInt64?

    init(
        id: SparkplugEdgeNodeID, client: MQTTClient, logger: Logger, primaryHost: String? = nil,
        monotonicNow: @escaping () -> Int64 = Clocks.monotonicMilliseconds
    ) {
        node = SparkplugEdgeNode(id: id)
        self.client = client
        self.logger = logger
        self.primaryHost = primaryHost
        self.monotonicNow = monotonicNow
        health = SparkplugOutputHealth(now: monotonicNow())
        report()
    }

    private var health: SparkplugOutputHealth
    /// Whether the unconfirmed birth was said in the log (once per session).
    private var unconfirmedSaid = false
    /// How long a birth may go unheard before it is said (ms); while unheard, the births go out
    /// again this often (an ACL fixed meanwhile is then noticed without a restart).
    static let confirmationWaitMs: Int64 = 10_000
    static let unheardRebirthMs: Int64 = 30_000
    /// When the node was last born (monotonic ms).
    private var lastBirthAt: Int64 = 0
    /// When the current session's node was first born (monotonic ms; nil until then).
    private var sessionBornAt: Int64?

    /// Whether the node reaches the broker's subscribers (`SparkplugOutputHealth`): with
    /// `cleaned-topics off` the publisher holds the cleaned stream in the journal until it does.
    var isUp: Bool { health.isUp }

    private func report() {
        counters.up = health.isUp
        counters.downSince = health.downSince
        counters.downReason = health.reason(node: node.id)
    }

    /// The node's own `NBIRTH` came back on its subscription: its messages reach subscribers.
    func heardBirth(_ payload: [UInt8]) {
        guard let bdSeq = node.bdSeq, let birth = try? SparkplugPayload(decoding: payload),
            birth.metrics.contains(where: { $0.name == "bdSeq" && $0.value == .long(bdSeq) })
        else { return }
        if !health.isUp && unconfirmedSaid {
            logger.notice("the Sparkplug edge node's birth now reaches the broker's subscribers", metadata: ["node": "\(node.id)"])
        }
        health.heardBirth(now: monotonicNow())
        report()
    }

    /// The broker refused the node its own `NBIRTH` topic: delivery cannot be confirmed.
    func confirmationRefused() {
        logger.warning(
            "the broker refused the Sparkplug node a subscription to its own NBIRTH: whether its messages reach anyone cannot be checked",
            metadata: ["node": "\(node.id)"])
        health.confirmationRefused(now: monotonicNow())
        report()
    }

    var id: SparkplugEdgeNodeID { node.id }
    var deviceCount: Int { node.deviceCount }

    /// A SIGHUP replaced the connection (and perhaps the node's id): births of every device
    /// known go out again, under that id, once it is up.
    func reconnected(to next: MQTTClient, as id: SparkplugEdgeNodeID, primaryHost: String?) {
        client = next
        node.offline()
        node.id = id
        sessionBdSeq = nil
        sessionBornAt = nil
        if primaryHost != self.primaryHost {
            primaryHostOnline = false
            primaryHostTimestamp = nil
        }
        self.primaryHost = primaryHost
        health.offline(now: monotonicNow())
        report()
    }

    /// The connection is up with `bdSeq` (its will's): `NBIRTH` and every `DBIRTH`.
    func connected(bdSeq: UInt64) {
        rebirthWaiting = false
        unconfirmedSaid = false
        sessionBdSeq = bdSeq
        if let host = primaryHost, !primaryHostOnline {
            // Section 5.2: no birth until the primary host is online.
            health.waiting(for: host, now: monotonicNow())
            report()
            logger.notice("Sparkplug edge node connected; waiting for its primary host's STATE online", metadata: ["node": "\(node.id)", "host": "\(host)"])
            return
        }
        health.born(now: monotonicNow())
        report()
        lastBirthAt = monotonicNow()
        sessionBornAt = lastBirthAt
        node.birth(bdSeq: bdSeq, now: Self.now)
        logger.info("Sparkplug edge node born", metadata: ["node": "\(node.id)", "bdSeq": "\(bdSeq)", "devices": "\(node.deviceCount)"])
        send()
    }

    /// The primary host's `STATE`: online, the node is born (on the connection that is up);
    /// offline, a born node says its `NDEATH` and ends its session (section 5.2): the next one,
    /// made at once, has a new `bdSeq`, and its births go out when the host is back. A `STATE`
    /// older (by its `timestamp`) than one already taken is an earlier session's, delivered
    /// late (a will, a retained message put back), and is ignored.
    func primaryHost(online: Bool, timestamp: UInt64? = nil) {
        guard let host = primaryHost else { return }
        if let timestamp {
            if let latest = primaryHostTimestamp, timestamp < latest {
                staleHostStates += 1
                if RepeatedEvent.isLogged(staleHostStates) {
                    logger.notice(
                        "ignored a Sparkplug primary host STATE older than the one taken (the first, and every 1,000th)",
                        metadata: [
                            "host": "\(host)", "online": "\(online)", "timestamp": "\(timestamp)", "taken": "\(latest)", "ignored": "\(staleHostStates)",
                        ])
                }
                return
            }
            primaryHostTimestamp = timestamp
        }
        guard online != primaryHostOnline else { return }
        primaryHostOnline = online
        logger.notice("the Sparkplug primary host's STATE", metadata: ["host": "\(host)", "online": "\(online)", "node": "\(node.id)"])
        guard let bdSeq = sessionBdSeq else { return }
        if online {
            connected(bdSeq: bdSeq)
        } else {
            if node.isOnline {
                let death = SparkplugEdgeNode.death(node.id, bdSeq: bdSeq, now: Self.now)
                _ = try? client.publish(topic: death.topic, payload: death.payload, qos: .atLeastOnce)
                client.restartSession()
            }
            node.offline()
            sessionBornAt = nil
            health.waiting(for: host, now: monotonicNow())
            report()
        }
    }

    func disconnected() {
        sessionBdSeq = nil
        sessionBornAt = nil
        node.offline()
        health.offline(now: monotonicNow())
        report()
    }

    /// An `NCMD` arrived (or a `DCMD`, for `device`): a rebirth request (`Node Control/Rebirth`
    /// true in an `NCMD`) is answered with births of the same `bdSeq`; anything else is logged
    /// and ignored: the node's metrics are readings it republishes, with nothing to write.
    func command(_ payload: [UInt8], device: String? = nil) {
        guard let bdSeq = node.bdSeq else { return }
        let decoded = try? SparkplugPayload(decoding: payload)
        guard device == nil, let decoded, decoded.metrics.contains(where: { $0.name == "Node Control/Rebirth" && $0.value == .boolean(true) }) else {
            ignoredCommands += 1
            if RepeatedEvent.isLogged(ignoredCommands) {
                logger.warning(
                    "ignored a command that is not a rebirth request: the node has nothing to write (the first, and every 1,000th)",
                    metadata: [
                        "node": "\(node.id)", "ignored": "\(ignoredCommands)", "kind": "\(device.map { "DCMD for device \($0)" } ?? "NCMD")",
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
        lastBirthAt = now
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
        // Counted from this session's birth: the time waiting for a primary host is not time
        // the birth went unheard.
        if !health.isUp, !unconfirmedSaid, node.isOnline, let born = sessionBornAt, monotonicNow() - born > Self.confirmationWaitMs,
            let reason = health.reason(node: node.id)
        {
            unconfirmedSaid = true
            logger.error("the Sparkplug edge node reaches no one: \(reason)", metadata: ["node": "\(node.id)"])
        }
        if !health.isUp, let bdSeq = node.bdSeq, monotonicNow() - lastBirthAt >= Self.unheardRebirthMs {
            lastBirthAt = monotonicNow()
            node.birth(bdSeq: bdSeq, now: Self.now)
        }
        let messages = node.take(now: Self.now)
        for m in messages {
            do {
                _ = try client.publish(topic: m.topic, payload: m.payload, qos: .atMostOnce)
                if m.isBirth { counters.births += 1 } else { counters.data += 1 }
            } catch {
                counters.failed += 1
                if RepeatedEvent.isLogged(counters.failed) {
                    logger.warning("Sparkplug publish failed", metadata: ["topic": "\(m.topic)", "error": "\(error)", "failed": "\(counters.failed)"])
                }
            }
        }
    }

    private static var now: UInt64 { UInt64(max(0, Clocks.epochMilliseconds())) }
}
