import Logging
import MQTT
import Wire

/// The broker session's Sparkplug parts: the edge node's connection (`sparkplug-edge-node`),
/// its events, and the last words of the node and of the host `STATE` (`sparkplug-host-id`).
extension BrokerSession {
    /// The edge node's connection, its will the `NDEATH` of the `bdSeq` each CONNECT takes
    /// (`SparkplugBirthCounter`); nil without `sparkplug-edge-node`.
    static func sparkplugClient(
        _ configuration: GatewayConfiguration, inbox: Inbox, logger: Logger, generation: Int
    ) throws -> (MQTTClient?, SparkplugBirthCounter?) {
        guard let node = configuration.sparkplugEdgeNode else { return (nil, nil) }
        let births = SparkplugBirthCounter(path: configuration.sparkplugBirthCounterPath, logger: logger)
        var edge = BrokerSession.base(configuration, clientID: configuration.sparkplugClientID)
        edge.cleanSession = true
        edge.willForConnect = {
            let death = SparkplugEdgeNode.death(node, bdSeq: births.nextForConnect(), now: UInt64(max(0, Clocks.epochMilliseconds())))
            return .init(topic: death.topic, payload: death.payload, qos: .atLeastOnce, retain: false)
        }
        return (try MQTTClient(edge, onEvents: { inbox.push(.sparkplug, $0, generation: generation) }), births)
    }

    /// A `STATE` on the host's own topic (section 7.3) that does not say online while the input
    /// connection is subscribed (an old session's will delivered late, a second instance with the
    /// same host id stopping, the retained `STATE` cleared, or anything that is not a `STATE`)
    /// makes the gateway say online again, with its connection's timestamp: edge nodes that
    /// connect later find it.
    func hostStateSeen(_ payload: [UInt8], _ hostState: SparkplugHostState) {
        guard subscribed else { return }
        let state = try? WireJSON.decode(SparkplugHostState.Payload.self, from: payload)
        guard state?.online != true else { return }
        sparkplugOfflineHostStatesAnswered += 1
        if RepeatedEvent.isLogged(sparkplugOfflineHostStatesAnswered) {
            logger.notice(
                "a Sparkplug STATE for this host that does not say online (offline, cleared or not a STATE) arrived while it reads; saying online again (logged the first time and every 1,000th)",
                metadata: [
                    "topic": "\(hostState.topic)",
                    "their_timestamp": "\(state.map { "\($0.timestamp)" } ?? (payload.isEmpty ? "none: cleared" : "none: not a STATE"))",
                    "count": "\(sparkplugOfflineHostStatesAnswered)",
                ])
        }
        do {
            _ = try input.publish(topic: hostState.topic, payload: hostState.online, qos: .atLeastOnce, retain: true)
        } catch {
            logger.error("cannot publish the Sparkplug host STATE", metadata: ["error": "\(error)"])
        }
    }

    /// The Sparkplug connection's events.
    func handleSparkplug(_ event: MQTTEvent) -> Outcome {
        guard let client = sparkplug, let node = configuration.sparkplugEdgeNode else { return .none }
        switch event {
        case .connected:
            sparkplugConnections += 1
            logger.notice("connected to the broker", metadata: ["connection": "sparkplug", "node": "\(node)"])
            do {
                sparkplugCommandSubscription = try client.subscribe(node.topic(.nodeCommand), qos: .atLeastOnce)
                sparkplugDeviceCommandSubscription = try client.subscribe(node.topic(.deviceCommand, device: "+"), qos: .atLeastOnce)
                // Its own births, heard back: the one sign its QoS 0 messages reach subscribers.
                sparkplugBirthSubscription = try client.subscribe(node.topic(.nodeBirth), qos: .atMostOnce)
                if let host = configuration.sparkplugPrimaryHost {
                    sparkplugPrimaryHostSubscription = try client.subscribe(SparkplugHostState.topic(host), qos: .atLeastOnce)
                }
            } catch {
                logger.error("cannot subscribe the Sparkplug node's commands", metadata: ["error": "\(error)"])
            }
            guard let bdSeq = sparkplugBirths?.current else { return .none }
            return .sparkplugConnected(bdSeq: bdSeq)
        case .message(let m):
            if m.topic == node.topic(.nodeBirth) { return .sparkplugBirthHeard(m.payload) }
            if let host = configuration.sparkplugPrimaryHost, m.topic == SparkplugHostState.topic(host) {
                guard let state = try? WireJSON.decode(SparkplugHostState.Payload.self, from: m.payload) else {
                    sparkplugInvalidHostStates += 1
                    if RepeatedEvent.isLogged(sparkplugInvalidHostStates) {
                        logger.warning(
                            "ignored a primary host STATE that is not Sparkplug 3.0 JSON (logged the first time and every 1,000th)",
                            metadata: ["topic": "\(m.topic)", "count": "\(sparkplugInvalidHostStates)"])
                    }
                    return .none
                }
                return .sparkplugPrimaryHost(online: state.online, timestamp: state.timestamp)
            }
            if m.topic == node.topic(.nodeCommand) { return .sparkplugCommand(m.payload, device: nil) }
            let deviceCommands = node.topic(.deviceCommand) + "/"
            return m.topic.hasPrefix(deviceCommands) ? .sparkplugCommand(m.payload, device: String(m.topic.dropFirst(deviceCommands.count))) : .none
        case .connectFailed(let error):
            logConnectFailure(error, connection: "sparkplug")
            return .sparkplugDisconnected
        case .disconnected(let reason, let expected):
            if !expected { logger.warning("lost the broker connection; reconnecting", metadata: ["connection": "sparkplug", "reason": "\(reason)"]) }
            return .sparkplugDisconnected
        case .subscriptionRefused(let mid):
            if mid == sparkplugBirthSubscription { return .sparkplugBirthUnconfirmable }
            if mid == sparkplugPrimaryHostSubscription {
                // Waiting for a STATE it may not read would hold the node back for good.
                logger.error(
                    "the broker refused the subscription to the primary host's STATE (check its ACL): the edge node does not wait for it",
                    metadata: ["host": "\(configuration.sparkplugPrimaryHost ?? "")"])
                return .sparkplugPrimaryHost(online: true, timestamp: nil)
            }
            // (A refused DCMD subscription loses nothing: the node has nothing to write.)
            if mid == sparkplugCommandSubscription {
                logger.warning(
                    "the broker refused the Sparkplug node's NCMD subscription (check its ACL): hosts' rebirth requests will not arrive",
                    metadata: ["topic": "\(node.topic(.nodeCommand))"])
            }
            return .none
        case .publishRefused(_, let code, let reason):
            logger.error(
                "the broker refused a publication of the Sparkplug edge node (check its ACL and message_size_limit)",
                metadata: ["reason": "\(reason) (0x\(String(code, radix: 16)))"])
            return .none
        case .published, .subscribed:
            return .none
        }
    }

    /// The edge node's `NDEATH` and the host's offline `STATE`, before their connections close.
    static func sayGoodbyeOnSparkplug(_ e: Ending) {
        if let (client, death) = e.sparkplug { _ = try? client.publish(topic: death.topic, payload: death.payload, qos: .atLeastOnce) }
        // On the output connection: the input one reads nothing more once stopping, so it would
        // not hear the acknowledgement, and its close would wait for it. (Its will, the same
        // message, may follow: closed with readings unread, the connection is reset.)
        if let (topic, offline) = e.hostState { _ = try? e.output.publish(topic: topic, payload: offline, qos: .atLeastOnce, retain: true) }
    }
}
