import Logging
import MQTT
import Wire

// Over 250 lines: the input, output and Sparkplug connections' events, phases and closing go
// through one place, so a newcomer reads how the connections behave in one file.
/// The gateway's two connections to the broker, and what each is doing.
///
/// - The **input** connection (client id `<client-id>`, persistent session) subscribes the
///   readings filter; its messages go straight into the journal on the network thread, and it
///   stops reading while the gateway is behind, so the broker's session holds the backlog.
/// - The **output** connection (client id `<client-id>-out`) publishes everything the gateway
///   sends, carries the retained status and its will, and takes replay requests. It never
///   pauses, so the broker's acknowledgements of our publications keep arriving while input
///   is paused (on one connection they would queue behind the unread readings).
/// - With `sparkplug-edge-node`, the **Sparkplug** connection (client id `<client-id>-spb`) is
///   the gateway's own edge node: its will is the `NDEATH` of the connection's `bdSeq`, it takes
///   the node's `NCMD` and sends its births and data (`SparkplugEdgeNodeOutput`).
/// - With `sparkplug-host-id`, the input connection (which reads the edge nodes) carries the
///   host's retained `STATE` and its will (`SparkplugHostState`).
final class BrokerSession {
    enum Phase: String, Sendable {
        case connecting, connected, subscribed
        /// The broker answered the readings subscription with failure (its ACL, usually).
        case subscriptionRefused = "subscription refused"
    }

    /// What an event means for the pipeline.
    enum Outcome {
        case none
        case acknowledged(messageID: MessageID)
        /// The broker refused the publish (MQTT 5 reason code); its `.acknowledged` follows.
        case refused(messageID: MessageID, reason: String)
        case replayRequest([UInt8])
        /// The Sparkplug connection is up with this `bdSeq`: births go out.
        case sparkplugConnected(bdSeq: UInt64)
        case sparkplugDisconnected
        /// An `NCMD` for the gateway's edge node.
        case sparkplugCommand([UInt8], device: String?)
        /// The edge node's own `NBIRTH`, heard back; or the broker refused it that subscription.
        case sparkplugBirthHeard([UInt8])
        case sparkplugBirthUnconfirmable
        /// The primary host's `STATE` (`sparkplug-primary-host`) said online or offline.
        case sparkplugPrimaryHost(online: Bool, timestamp: UInt64?)
        /// Another gateway with this `gateway-id` is online on the broker (`OtherInstanceWatch`).
        case otherInstance(OtherInstanceWatch.Sighting)
        /// The broker closed a connection `inARow` times in a row within seconds of accepting
        /// it (`ConnectionChurn`): most likely another client with its client id.
        case connectionTakenOver(connection: String, clientID: String, inARow: Int)
        /// A gateway with another `gateway-id` started or stopped reading some of this one's
        /// sensors (`OverlappingGatewayWatch`).
        case overlappingGateway(OverlappingGatewayWatch.Change)
        /// The broker's count of messages it dropped (`BrokerDropWatch`), as it sent it.
        case brokerDropCount([UInt8])
    }

    let input: MQTTClient
    let output: MQTTClient
    /// The gateway's own Sparkplug edge node's connection (nil: `sparkplug-edge-node` unset).
    let sparkplug: MQTTClient?
    let sparkplugBirths: SparkplugBirthCounter?
    let hostState: SparkplugHostState?
    /// This session's number: 0 at start, one more for each SIGHUP reconnection. Events of
    /// another generation (an old session's last ones) are ignored.
    let generation: Int
    private(set) var inputPhase = Phase.connecting
    private(set) var outputConnected = false
    /// Set once this session publishes its own `offline`: from then on an `offline` on the
    /// status topic is its own, and is not answered.
    private var closing = false
    /// The readings subscriptions sent and not yet acknowledged, with their filters.
    private var pendingSubscriptions: [MessageID: String] = [:]
    /// The previous run's readings filters this run does not use (`topic-filter` or the
    /// measurements changed across the restart): the persistent session still holds their
    /// subscriptions, which are removed at each connection.
    var retiredFilters: [String] = []
    let configuration: GatewayConfiguration
    let logger: Logger
    private let startedAt: Int64
    /// When this data folder's previous run started: its retained status is not another instance's.
    let previousStartedAt: Int64?

    static let offlineStatus = GatewayStatusNotice(state: .offline).json

    /// Both connections' events go to `inbox`, from their network threads.
    init(
        configuration: GatewayConfiguration, sink: any MQTTMessageSink, inbox: Inbox, logger: Logger, startedAt: Int64,
        previousStartedAt: Int64? = nil, generation: Int = 0
    ) throws {
        self.previousStartedAt = previousStartedAt
        self.configuration = configuration
        self.generation = generation
        self.logger = logger
        self.startedAt = startedAt
        var inbound = BrokerSession.base(configuration, clientID: configuration.effectiveClientID)
        inbound.cleanSession = false
        inbound.keepAliveSeconds = 60
        let hostState = configuration.sparkplugHostID.map(SparkplugHostState.init(hostID:))
        if let hostState { inbound.willForConnect = { hostState.willForConnect() } }
        self.hostState = hostState
        input = try MQTTClient(inbound, sink: sink, onEvents: { inbox.push(.input, $0, generation: generation) })
        var outbound = BrokerSession.base(configuration, clientID: configuration.outputClientID)
        outbound.cleanSession = true
        outbound.will = .init(topic: configuration.statusTopic, payload: BrokerSession.offlineStatus, qos: .atLeastOnce, retain: true)
        output = try MQTTClient(outbound, onEvents: { inbox.push(.output, $0, generation: generation) })
        (sparkplug, sparkplugBirths) = try BrokerSession.sparkplugClient(configuration, inbox: inbox, logger: logger, generation: generation)
    }

    static func base(_ c: GatewayConfiguration, clientID: String) -> MQTTConfiguration {
        var m = MQTTConfiguration(host: c.brokerHost, port: c.brokerPort, clientID: clientID)
        // Readings (input) and replay requests (output) alike: no message the broker hands over
        // may be larger than the gateway would ever keep.
        m.maximumInboundPacketBytes = IngestJournal.inboundPacketLimit(maxPayloadBytes: c.engine.maxPayloadBytes)
        m.username = c.username
        m.password = c.password?.value
        if let ca = c.caFile { m.tls = .init(caFile: ca, certFile: c.certFile, keyFile: c.keyFile) }
        // Forwarded while the log's level, which a reload may change, is debug or trace.
        var logger = Logger(label: "libmosquitto")
        logger[metadataKey: "client_id"] = "\(clientID)"
        m.libraryLogger = logger
        return m
    }

    var inputConnected: Bool { inputPhase != .connecting }
    var subscribed: Bool { inputPhase == .subscribed }
    /// Whether the broker kept the input connection's session at its last connect.
    private(set) var inputSessionPresent = false
    var subscriptionRefused: Bool { inputPhase == .subscriptionRefused }
    /// Readings subscriptions the broker acknowledged since start (one per connection), so a
    /// reconnection shows as a new one.
    private(set) var readingsSubscriptions = 0
    /// Why each connection not up now failed last, its loss or its last attempt's failure
    /// ("input: the broker refused the connection: Not authorized; check ..."), for
    /// `/healthz`: "not connected" alone sent operators to the log to tell a wrong password
    /// from a broker that is down.
    var connectFailures: [String] { [lastFailure[.input], lastFailure[.output]].compactMap { $0 } }
    private var lastFailure: [Inbox.Source: String] = [:]
    /// Connections made since start, by side: every one after the first is a reconnection.
    private(set) var inputConnections = 0
    private(set) var outputConnections = 0
    /// Connections the broker closes right after accepting them (a client id used twice).
    private var churn = ConnectionChurn()
    var sparkplugConnections = 0
    /// The Sparkplug connection's subscriptions (to tell which one a refusal is for).
    var sparkplugCommandSubscription: MessageID?
    var sparkplugDeviceCommandSubscription: MessageID?
    var sparkplugBirthSubscription: MessageID?
    var sparkplugPrimaryHostSubscription: MessageID?
    /// `STATE` messages of the primary host that were not Sparkplug 3.0 JSON, and offline
    /// `STATE`s of the gateway's own host id answered: each logged the first time and every
    /// 1,000th, so a sender repeating one cannot flood the log.
    var sparkplugInvalidHostStates = 0
    var sparkplugOfflineHostStatesAnswered = 0

    /// Input connections where the broker had no session for the gateway though it should have
    /// had one (`noteSession`), and when (monotonic ms) the last was.
    private(set) var sessionsLost = 0
    private(set) var lastSessionLostAt: Int64?
    /// A SIGHUP replaced the session with one to another broker (scheme, host or port), and its
    /// input has not connected yet: that first connection finds no session, as expected
    /// (`noteSession`).
    private var awaitingFirstConnectionToMovedBroker = false

    /// The input connection is persistent: after an earlier connection, this run's or the data
    /// folder's previous run's, the broker keeps the gateway's session and queues readings for it
    /// while it is away. Without one, whatever it queued is gone (a broker whose persistence
    /// failed, a session expired by `persistent_client_expiration`), and the sensors' last
    /// readings before a reboot or a silence are lost without a gap to show it: as loud as the
    /// broker's own drops (found black-box: a broker that could not write its persistence file
    /// lost the session; the gateway logged a notice, and `/healthz` said ok). A changed client
    /// id makes a new session too, and is reported the same way once.
    private func noteSession(present: Bool) {
        guard !present, inputConnections > 0 || previousStartedAt != nil else { return }
        if awaitingFirstConnectionToMovedBroker {
            // A broker a SIGHUP moved the gateway to has never seen it: no session is expected,
            // and what the old broker queued stays there (found black-box, 41st review: a planned
            // move was reported as a lost session, and its alert fired).
            logger.notice(
                "the broker the gateway moved to holds no session for it yet: it starts one; what the old broker queued for the gateway stays there",
                metadata: ["client_id": "\(configuration.effectiveClientID)"])
            return
        }
        sessionsLost += 1
        lastSessionLostAt = Clocks.monotonicMilliseconds()
        logger.warning(
            "the broker kept no session for this gateway: readings it accepted for the gateway while it was away are gone, and a sensor's last ones before a reboot or a silence are lost without a gap; check the broker's persistence (its log, persistence_location) and persistent_client_expiration (deploy/mosquitto.conf), or the client id changed (sensor_gateway_broker_sessions_lost_total)",
            metadata: ["client_id": "\(configuration.effectiveClientID)"])
    }

    /// Goes on counting from `old`'s subscriptions and connections (this session replaces it), so
    /// the metrics' totals never fall and its connections count as reconnections.
    func continueCounts(from old: BrokerSession) {
        let (was, now) = (old.configuration, configuration)
        awaitingFirstConnectionToMovedBroker =
            was.brokerScheme != now.brokerScheme || was.brokerHost != now.brokerHost || was.brokerPort != now.brokerPort
        readingsSubscriptions = old.readingsSubscriptions
        inputConnections = old.inputConnections
        sessionsLost = old.sessionsLost
        lastSessionLostAt = old.lastSessionLostAt
        outputConnections = old.outputConnections
        sparkplugConnections = old.sparkplugConnections
    }

    /// Starts the connections.
    func start() throws {
        try output.start()
        try sparkplug?.start()
        try input.start()
    }

    func handle(_ arrival: Inbox.Arrival) -> Outcome {
        guard arrival.generation == generation else { return .none }
        return handle(arrival.source, arrival.event)
    }

    func handle(_ source: Inbox.Source, _ event: MQTTEvent) -> Outcome {
        if source == .sparkplug { return handleSparkplug(event) }
        let side = source == .input ? "input" : "output"
        switch event {
        case .message(let m):
            if let hostState, m.topic == hostState.topic {
                hostStateSeen(m.payload, hostState)
                return .none
            }
            if m.topic == configuration.statusTopic {
                if let sighting = OtherInstanceWatch(startedAt: startedAt, previousStartedAt: previousStartedAt).sighting(in: m) {
                    return .otherInstance(sighting)
                }
                if OtherInstanceWatch.isLiveOffline(m), outputConnected, !closing { announceOnlineAgain() }
                return .none
            }
            if m.topic == Topics.brokerDroppedMessages { return .brokerDropCount(m.payload) }
            if let change = OverlappingGatewayWatch(gatewayID: configuration.gatewayID, filters: configuration.engine.readingFilters).change(in: m) {
                return .overlappingGateway(change)
            }
            guard m.topic == configuration.replayTopic else { return .none }
            if m.retain {
                // A retained request would run again on every connection: answer none of them.
                logger.warning(
                    "ignored a retained replay request (it would run again at every connection); clear it with an empty retained message",
                    metadata: ["topic": "\(m.topic)"])
                return .none
            }
            return .replayRequest(m.payload)
        case .published(let mid):
            return source == .output ? .acknowledged(messageID: mid) : .none
        case .publishRefused(let mid, let code, let reason):
            let described = "\(reason) (0x\(String(code, radix: 16)))"
            if source == .output { return .refused(messageID: mid, reason: described) }
            logger.error("the broker refused a publication", metadata: ["connection": "\(side)", "reason": "\(described)"])
        case .connected(let sessionPresent):
            logger.notice(
                "connected to the broker",
                metadata: [
                    "connection": "\(side)", "broker": "\(configuration.brokerHost):\(configuration.brokerPort)", "session_present": "\(sessionPresent)",
                ])
            lastFailure[source] = nil
            if source == .input {
                inputSessionPresent = sessionPresent
                noteSession(present: sessionPresent)
                awaitingFirstConnectionToMovedBroker = false
                inputConnections += 1
            } else {
                outputConnections += 1
            }
            churn.accepted(source, now: Clocks.monotonicMilliseconds())
            do {
                if source == .input {
                    inputPhase = .connected
                    // Before subscribing: the broker handles one client's requests in order, so
                    // once the subscriptions are acknowledged the old filters are gone too.
                    for retired in retiredFilters where !configuration.engine.readingFilters.contains(retired) {
                        try input.unsubscribe(retired)
                        logger.notice("unsubscribed the previous run's topic-filter from the persistent session", metadata: ["filter": "\(retired)"])
                    }
                    pendingSubscriptions = [:]
                    for filter in configuration.engine.readingFilters {
                        pendingSubscriptions[try input.subscribe(filter, qos: .atLeastOnce)] = filter
                    }
                } else {
                    outputConnected = true
                    try output.subscribe(configuration.replayTopic, qos: .atLeastOnce)
                    // Every gateway's status: another instance's `online` on its own shows a
                    // second gateway with this id (`OtherInstanceWatch`), another gateway's
                    // one that reads some of the same sensors (`OverlappingGatewayWatch`).
                    try output.subscribe(Topics.gatewayStatusFilter, qos: .atLeastOnce)
                    // The broker's count of messages it dropped (mosquitto's $SYS; a broker
                    // without it, or an ACL that does not grant it, sends nothing).
                    try output.subscribe(Topics.brokerDroppedMessages, qos: .atMostOnce)
                    // Its own STATE: an offline one while it reads (an old session's will
                    // delivered late, another instance's) is answered with online again.
                    if let hostState { _ = try output.subscribe(hostState.topic, qos: .atLeastOnce) }
                    try output.publish(topic: configuration.statusTopic, payload: onlineStatus, qos: .atLeastOnce, retain: true)
                }
            } catch {
                logger.error("after connecting", metadata: ["connection": "\(side)", "error": "\(error)"])
            }
        case .connectFailed(let error):
            disconnected(source)
            let refused = error.connackCode.map(Self.refusal(connack:))
            lastFailure[source] = "\(side): \(refused.map { "the broker refused the connection: \(error.message); \($0)" } ?? error.message)"
            logConnectFailure(error, connection: side)
        case .disconnected(let reason, let expected):
            disconnected(source)
            if !expected {
                lastFailure[source] = "\(side): connection lost: \(reason)"
                logger.warning("lost the broker connection; reconnecting", metadata: ["connection": "\(side)", "reason": "\(reason)"])
                if let count = churn.lost(source, now: Clocks.monotonicMilliseconds()) {
                    let id = source == .input ? configuration.effectiveClientID : configuration.outputClientID
                    logger.error(
                        "the broker closed this connection \(count) times in a row within seconds of accepting it: most likely another client uses its client id and each takes the connection over from the other (a second gateway with this gateway-id or client-id, a cloned box: the broker's log says \"Client \(id) already connected, closing old connection\"); else the broker's ACL or max_packet_size",
                        metadata: ["connection": "\(side)", "client_id": "\(id)"])
                    return .connectionTakenOver(connection: side, clientID: id, inARow: count)
                }
            }
        case .subscribed(let mid):
            if source == .input, let filter = pendingSubscriptions.removeValue(forKey: mid) {
                logger.info("subscribed to the readings", metadata: ["filter": "\(filter)"])
                if pendingSubscriptions.isEmpty && inputPhase == .connected {
                    inputPhase = .subscribed
                    readingsSubscriptions += 1
                    // A host is online once it reads what edge nodes send (section 7.3).
                    if let hostState {
                        do {
                            _ = try input.publish(topic: hostState.topic, payload: hostState.online, qos: .atLeastOnce, retain: true)
                            logger.info("Sparkplug host STATE online", metadata: ["topic": "\(hostState.topic)"])
                        } catch {
                            logger.error("cannot publish the Sparkplug host STATE", metadata: ["error": "\(error)"])
                        }
                    }
                }
            }
        case .subscriptionRefused(let mid):
            if source == .input, let filter = pendingSubscriptions.removeValue(forKey: mid) {
                inputPhase = .subscriptionRefused
                logger.error(
                    "the broker refused the readings subscription (check its ACL); no readings will arrive",
                    metadata: ["filter": "\(filter)"])
            }
        }
        return .none
    }

    private var onlineStatus: [UInt8] {
        GatewayStatusNotice(
            state: .online, version: GatewayVersion.current, startedAt: startedAt, topicFilters: configuration.engine.readingFilters
        ).json
    }

    /// Publishes `BrokerProbe`'s probe on the output connection; its message id, nil when not
    /// connected or it cannot be sent now.
    func publishProbe() -> MessageID? {
        guard outputConnected, !closing else { return nil }
        return try? output.publish(topic: Topics.latestReadMarker(configuration.gatewayID), payload: BrokerProbe.payload, qos: .atLeastOnce)
    }

    /// An `offline` status replaced this run's `online` while it runs (`OtherInstanceWatch.isLiveOffline`):
    /// published again, so the retained status tells the truth.
    private func announceOnlineAgain() {
        do {
            try output.publish(topic: configuration.statusTopic, payload: onlineStatus, qos: .atLeastOnce, retain: true)
            logger.warning(
                "an offline status replaced this gateway's online one on its status topic (another instance with this gateway-id stopping, an earlier connection's last word, or the broker sending this gateway's will as it stopped or restarted); published online again",
                metadata: ["topic": "\(configuration.statusTopic)"])
        } catch {
            logger.error("cannot publish the online status again", metadata: ["topic": "\(configuration.statusTopic)", "error": "\(error)"])
        }
    }

    /// Logs a failed attempt of `connection`: a refusal (a CONNACK code) with what to check, or
    /// the reason the broker could not be reached. Once per attempt.
    func logConnectFailure(_ error: MQTTError, connection: String) {
        var metadata: Logger.Metadata = [
            "broker": "\(configuration.brokerHost):\(configuration.brokerPort)", "connection": "\(connection)", "reason": "\(error.message)",
            "code": "\(error.connackCode.map { "connack \($0)" } ?? "\(error.code)")",
        ]
        if let code = error.connackCode {
            metadata["check"] = "\(Self.refusal(connack: code))"
            logger.warning("the broker refused the connection; retrying with backoff", metadata: metadata)
        } else {
            logger.warning("cannot reach broker; retrying with backoff", metadata: metadata)
        }
    }

    /// What to check when the broker refused a connection with CONNACK code `code` (MQTT 3.1.1's
    /// 1-5, MQTT 5's reason codes).
    static func refusal(connack code: Int32) -> String {
        switch code {
        case 4, 5, 134, 135:
            "check username and password-file against the broker's password_file (and its plugins or ACL for this client id)"
        case 2, 133:
            "the broker does not accept this client id: check client-id and gateway-id"
        case 3, 136, 137:
            "the broker is unavailable or busy; it will be tried again"
        case 138:
            "the broker banned this client"
        default:
            "see the broker's log for why"
        }
    }

    private func disconnected(_ source: Inbox.Source) {
        if source == .input { inputPhase = .connecting } else { outputConnected = false }
    }

    /// What ends this session's connections, for `retire` (a value: it outlives the session).
    struct Ending: Sendable {
        var input: MQTTClient
        var output: MQTTClient
        var statusTopic: String
        /// The Sparkplug edge node's connection and its `NDEATH`, when there is one.
        var sparkplug: (client: MQTTClient, death: SparkplugEdgeNode.Message)?
        /// The host `STATE` topic and its offline message, when there is one.
        var hostState: (topic: String, offline: [UInt8])?
    }

    /// This session's `Ending`: the edge node's death carries the `bdSeq` its connection's will
    /// carries (the broker discards the will at a clean disconnect, so the node says it itself).
    var ending: Ending {
        var e = Ending(input: input, output: output, statusTopic: configuration.statusTopic)
        if let sparkplug, let node = configuration.sparkplugEdgeNode, let bdSeq = sparkplugBirths?.current {
            e.sparkplug = (sparkplug, SparkplugEdgeNode.death(node, bdSeq: bdSeq, now: UInt64(max(0, Clocks.epochMilliseconds()))))
        }
        if let hostState { e.hostState = (hostState.topic, hostState.offline) }
        return e
    }

    /// Publishes the retained offline status (and the Sparkplug node's death and host's offline
    /// `STATE`) and waits (a second at most) for the broker to take it, then closes the
    /// connections.
    func close(waitingWith inbox: Inbox) async {
        closing = true
        let ending = ending
        if outputConnected,
            let mid = try? output.publish(topic: configuration.statusTopic, payload: BrokerSession.offlineStatus, qos: .atLeastOnce, retain: true)
        {
            BrokerSession.sayGoodbyeOnSparkplug(ending)
            let generation = generation
            await onOwnThread { inbox.waitBlocking(forAcknowledgementOf: mid, generation: generation, atMost: 1000) }
        } else {
            BrokerSession.sayGoodbyeOnSparkplug(ending)
        }
        await input.disconnect()
        await output.disconnect()
        await sparkplug?.disconnect()
    }

    /// Ends this session without the inbox (a SIGHUP reconnection replaces it, and the loop goes
    /// on taking the inbox): publishes the retained offline status, then disconnects the
    /// connections, letting the broker acknowledge what it can first. Publications it never
    /// acknowledged are sent again by the next session (`OutboundQueue.resendUnacknowledged`).
    static func retire(_ e: Ending) async {
        _ = try? e.output.publish(topic: e.statusTopic, payload: BrokerSession.offlineStatus, qos: .atLeastOnce, retain: true)
        sayGoodbyeOnSparkplug(e)
        await e.input.disconnect(timeout: .seconds(2))
        await e.output.disconnect(timeout: .seconds(2))
        await e.sparkplug?.client.disconnect(timeout: .seconds(2))
    }
}
