import Sparkplug
import Wire

/// Sparkplug B input (docs/SPARKPLUG.md): births, deaths and data messages of edge nodes and
/// their devices, each numeric metric a stream of the engine.
extension RecoveryEngine {
    /// Processes one message under `spBv1.0/`, as `ingest` does a sensor's reading.
    mutating func ingestSparkplug(topic: String, payload: UnsafeBufferPointer<UInt8>, receivedAt: Int64, _ out: inout Output) {
        let t: SparkplugTopic
        switch SparkplugTopic.parse(topic) {
        case .message(let m) where m.type != .nodeCommand && m.type != .deviceCommand: t = m
        case .message, .hostState:
            counters.sparkplug.otherMessages += 1
            return
        case .invalid, nil:
            deadLetter(.sparkplug("bad_topic"), Topics.invalidDeadLetter, topic, payload, receivedAt, &out)
            return
        }
        let sensorID = EngineConfiguration.sparkplugSensorID(t)
        let nodeSensorID = EngineConfiguration.sparkplugSensorID(SparkplugTopic(group: t.group, type: t.type, edgeNode: t.edgeNode))
        guard SensorID.isValid(sensorID) else {
            deadLetter(.invalidSensorID, Topics.invalidDeadLetter, topic, payload, receivedAt, &out)
            return
        }
        let nodeDLQ = Topics.deadLetter(nodeSensorID, Self.sparkplugLevel)
        guard payload.count <= configuration.maxPayloadBytes else {
            deadLetter(.payloadTooLarge, nodeDLQ, topic, payload, receivedAt, &out)
            return
        }
        let message: SparkplugPayload
        do {
            message = try SparkplugPayload(decoding: UnsafeRawBufferPointer(payload))
        } catch {
            deadLetter(.sparkplug("malformed_payload"), nodeDLQ, topic, payload, receivedAt, &out)
            return
        }
        let key = "\(t.group)/\(t.edgeNode)"
        let context = SparkplugContext(topic: t, raw: topic, payload: payload, receivedAt: receivedAt, sensorID: sensorID, nodeDLQ: nodeDLQ)
        if t.type == .nodeBirth { return nodeBirth(message, key, context, &out) }
        if t.type == .nodeDeath { return nodeDeath(message, key, nodeSensorID, &out) }
        guard var node = sparkplug.nodes[key], !node.dead, t.type == .deviceBirth || t.device.map(node.liveDevices.contains) != false else {
            deadLetter(.sparkplug("no_birth"), nodeDLQ, topic, payload, receivedAt, &out)
            askRebirth(t, key, receivedAt, &out)
            return
        }
        guard let seq = message.seq else {
            deadLetter(.missingField("seq"), nodeDLQ, topic, payload, receivedAt, &out)
            return
        }
        let counter: Int64
        switch node.sequence.place(seq) {
        case .duplicate:
            counters.duplicates += 1
            return
        case .tooOld:
            deadLetter(.tooLate, nodeDLQ, topic, payload, receivedAt, &out)
            return
        case .new(let c): counter = c
        }
        node.accept(counter)
        switch t.type {
        case .deviceBirth:
            counters.sparkplug.deviceBirths += 1
            node.deviceBorn(t.device ?? "")
            declare(message, device: t.device, &node)
        case .deviceDeath:
            counters.sparkplug.deviceDeaths += 1
            node.deviceDied(t.device ?? "")
            sparkplug.nodes[key] = node
            return markStale(&out) { $0 == sensorID }
        default: break
        }
        readings(message, at: counter, &node, context, &out)
        sparkplug.nodes[key] = node
    }

    /// The last topic level of a node's own dead letters (`dlq/<group>.<node>/sparkplug`): what
    /// concerns the whole message rather than one metric's stream.
    static let sparkplugLevel = "sparkplug"

    /// Where a message came from, for its dead letters and readings.
    struct SparkplugContext {
        var topic: SparkplugTopic
        var raw: String
        var payload: UnsafeBufferPointer<UInt8>
        var receivedAt: Int64
        var sensorID: String
        var nodeDLQ: String
    }

    /// An NBIRTH: a new epoch of the node's streams, its metrics declared, its values read.
    private mutating func nodeBirth(_ message: SparkplugPayload, _ key: String, _ c: SparkplugContext, _ out: inout Output) {
        let bdSeq = message.metrics.first { $0.name == "bdSeq" }.flatMap { m in m.number(as: m.datatype ?? .uint64) }.map { UInt64($0) }
        let old = sparkplug.nodes[key]
        if let old, !old.dead, old.bdSeq == bdSeq, old.birthTimestamp == message.timestamp {
            counters.duplicates += 1  // the same birth again (a QoS 1 redelivery)
            return
        }
        if old == nil && sparkplug.nodes.count >= configuration.maxSensors ?? EngineConfiguration.defaultMaxSensors {
            deadLetter(.tooManySensors, c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            return
        }
        counters.sparkplug.nodeBirths += 1
        let stamped = Self.sparkplugTime(message.timestamp) ?? c.receivedAt
        let boot = old.map { Swift.max($0.boot &+ 1, stamped) } ?? stamped
        var node = SparkplugNode(boot: boot, bdSeq: bdSeq, birthTimestamp: message.timestamp, birthSeq: message.seq ?? 0)
        node.lastRebirthRequest = old?.lastRebirthRequest
        sparkplug.rebirthAsked[key] = nil
        declare(message, device: nil, &node)
        readings(message, at: node.sequence.birth, &node, c, &out)
        sparkplug.nodes[key] = node
    }

    /// An NDEATH of the node's current birth (its `bdSeq`, when both give one): every stream of
    /// the node and its devices is stale at once; data before the next NBIRTH is refused.
    private mutating func nodeDeath(_ message: SparkplugPayload, _ key: String, _ nodeSensorID: String, _ out: inout Output) {
        guard var node = sparkplug.nodes[key], !node.dead else { return }
        let bdSeq = message.metrics.first { $0.name == "bdSeq" }.flatMap { m in m.number(as: m.datatype ?? .uint64) }.map { UInt64($0) }
        if let bdSeq, let born = node.bdSeq, bdSeq != born { return }  // an older session's will
        counters.sparkplug.nodeDeaths += 1
        node.dead = true
        sparkplug.nodes[key] = node
        let prefix = nodeSensorID + "."
        markStale(&out) { $0 == nodeSensorID || $0.hasPrefix(prefix) }
    }

    /// Marks stale the streams whose sensor id `matches`.
    private mutating func markStale(_ out: inout Output, _ matches: (String) -> Bool) {
        for i in sensors.indices where matches(sensors[i].id) {
            hold(&out, to: sensors[i].stream)
            sensors[i].markStale(&out)
        }
    }

    /// A birth's metrics: names, aliases and datatypes, so later data messages are read.
    private func declare(_ message: SparkplugPayload, device: String?, _ node: inout SparkplugNode) {
        for m in message.metrics {
            guard let name = m.name, let datatype = m.datatype else { continue }
            _ = node.declare(device: device, name: name, alias: m.alias, datatype: datatype)
        }
    }

    /// The message's numeric metrics, each as a reading of its stream at the message's place.
    private mutating func readings(_ message: SparkplugPayload, at counter: Int64, _ node: inout SparkplugNode, _ c: SparkplugContext, _ out: inout Output) {
        var unknown = false
        for metric in message.metrics where metric.name != "bdSeq" {
            guard let (key, name, datatype) = node.resolve(metric, device: c.topic.device) else {
                unknown = true
                continue
            }
            guard datatype.isNumeric, let measurement = configuration.sparkplugMeasurement(forMetric: name) else {
                counters.sparkplug.metricsIgnored += 1
                continue
            }
            let stream = StreamName(sensorID: c.sensorID, measurement: measurement == Topics.defaultMeasurement ? nil : measurement)
            let dlq = Topics.deadLetter(c.sensorID, measurement)
            guard let seq = node.seq(of: key, at: counter) else {
                deadLetter(.tooLate, dlq, c.raw, c.payload, c.receivedAt, &out, sensor: index[stream.key])
                continue
            }
            if metric.value == .null {
                counters.sparkplug.nullMetrics += 1  // its seq stays a gap
                continue
            }
            guard let value = metric.number(as: datatype) else {
                deadLetter(.badType("value"), dlq, c.raw, c.payload, c.receivedAt, &out, sensor: index[stream.key])
                continue
            }
            guard let ts = Self.sparkplugTime(metric.timestamp ?? message.timestamp) else {
                deadLetter(.missingField("ts"), dlq, c.raw, c.payload, c.receivedAt, &out, sensor: index[stream.key])
                continue
            }
            let quality = metric.quality.map { $0 >= 192 } ?? true
            let reading = Reading(sensorID: c.sensorID, seq: seq, ts: ts, temperature: value, status: quality ? .normal : .deviated, boot: node.boot)
            hold(&out, to: stream)
            let existing = index[stream.key]
            if let existing { sensors[existing].takesNoResendRequests() }
            if let i = accept(reading, stream, existing: existing, cacheTopic: nil, dlq, c.raw, c.payload, c.receivedAt, &out) {
                sensors[i].takesNoResendRequests()  // a stream new here: from its next decision on
            }
        }
        if unknown {
            deadLetter(.sparkplug("unknown_metric"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            askRebirth(c.topic, "\(c.topic.group)/\(c.topic.edgeNode)", c.receivedAt, &out)
        }
    }

    /// Asks the node for a rebirth (an `NCMD` with `Node Control/Rebirth` true), when the
    /// gateway may and the node was not asked within `SparkplugNodes.rebirthIntervalMs`.
    private mutating func askRebirth(_ t: SparkplugTopic, _ key: String, _ now: Int64, _ out: inout Output) {
        guard configuration.sparkplugRebirth == true,
            sparkplug.mayAskRebirth(key, at: now, cap: configuration.maxSensors ?? EngineConfiguration.defaultMaxSensors)
        else { return }
        counters.sparkplug.rebirthRequests += 1
        let request = SparkplugPayload(
            timestamp: UInt64(clamping: now),
            metrics: [SparkplugMetric(name: "Node Control/Rebirth", timestamp: UInt64(clamping: now), datatype: .boolean, value: .boolean(true))])
        out.emit(.resendRequest, SparkplugTopic(group: t.group, type: .nodeCommand, edgeNode: t.edgeNode).text, request.serialized())
    }

    /// A Sparkplug time (ms since the epoch, unsigned) as the engine's; nil when absent or past
    /// the contract's limit (year 10000).
    static func sparkplugTime(_ t: UInt64?) -> Int64? {
        guard let t, t < UInt64(ReadingParser.timestampLimit) else { return nil }
        return Int64(t)
    }
}
