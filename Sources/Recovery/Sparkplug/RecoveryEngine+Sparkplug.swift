import Sparkplug
import Wire

// Over 250 lines: one edge node's births, deaths, data and rebirth requests share its
// sequence and alias state; split, each part would reach into the node from outside.
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
        let nodeSensorID = Self.sparkplugNodeSensorID(t)
        guard SensorID.isValid(sensorID) else {
            deadLetter(.invalidSensorID, Topics.invalidDeadLetter, topic, payload, receivedAt, &out)
            return
        }
        let nodeDLQ = Self.sparkplugNodeDeadLetterTopic(t)
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
        if let seq = message.seq, seq > 255 {
            deadLetter(.badValue("seq"), nodeDLQ, topic, payload, receivedAt, &out)  // section 6.4.5: 0-255
            return
        }
        let key = "\(t.group)/\(t.edgeNode)"
        sparkplug.nodes[key]?.lastHeard = receivedAt
        let context = SparkplugContext(topic: t, raw: topic, payload: payload, receivedAt: receivedAt, sensorID: sensorID, nodeDLQ: nodeDLQ)
        if t.type == .nodeBirth { return nodeBirth(message, key, context, &out) }
        if t.type == .nodeDeath { return nodeDeath(message, key, nodeSensorID, &out) }
        // Taken out of the table while the message is read, and put back however it ends: a
        // copy left in the table would make the first change to the node's declarations or
        // seqs copy all of them, for every message.
        guard var node = sparkplug.nodes.removeValue(forKey: key) else {
            holdForBirth(context, counter: nil, key, &out)
            askRebirth(t, key, receivedAt, &out)
            return
        }
        defer { sparkplug.nodes[key] = node }
        guard !node.dead else {
            holdForBirth(context, counter: nil, key, &out)
            askRebirth(t, &node, receivedAt, &out)
            return
        }
        nodeMessage(message, key, &node, context, &out)
    }

    /// A message of a node with a birth (other than NBIRTH and NDEATH): placed in the node's
    /// sequence, then read.
    mutating func nodeMessage(_ message: SparkplugPayload, _ key: String, _ node: inout SparkplugNode, _ c: SparkplugContext, _ out: inout Output) {
        let t = c.topic
        guard let seq = message.seq else {
            deadLetter(.missingField("seq"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            return
        }
        let counter: Int64
        let print = message.fingerprint(topic: c.raw)
        switch node.sequence.place(seq, timestamp: message.timestamp, print: print) {
        case .duplicate(let n) where node.sequence.isCopy(at: n, print: print):
            counters.duplicates += 1
            return
        case .duplicate:
            // Another message under a seq that arrived, saying something else (other values or
            // statuses, other metrics): not a copy, and dropped as one it was lost without a word
            // (found black-box), as a JSON sensor's second reading under one seq would be. The
            // node reused a seq (or restarted without a birth): its sequence and the gateway's
            // disagree, and a rebirth sets them straight.
            deadLetter(.badValue("seq"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            if !c.held { askRebirth(t, &node, c.receivedAt, &out) }
            return
        case .tooOld:
            deadLetter(.tooLate, c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            return
        case .stampedBeforeBirth:
            // A message of before the birth, 128-255 late; or the node's clock went back past
            // its birth, and its messages are held back as too late until a rebirth restarts
            // the sequence at its new time.
            deadLetter(.tooLate, c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            if !c.held { askRebirth(t, &node, c.receivedAt, &out) }
            return
        case .new(let n): counter = n
        case .jump(let n):
            // More than 128 messages lost: their number is unknown; what is filled is flagged,
            // and a birth resets the sequence.
            counter = n
            counters.sparkplug.sequenceJumps += 1
            counters.sparkplug.lastSequenceJumpNode = Self.sparkplugNodeSensorID(t)
            askRebirth(t, &node, c.receivedAt, &out)
        }
        node.accept(counter, timestamp: message.timestamp, print: print)
        var refused: Set<String> = []
        switch t.type {
        case .deviceBirth:
            counters.sparkplug.deviceBirths += 1
            node.deviceBorn(t.device ?? "")
            refused = declare(message, device: t.device, &node, c, &out)
            readHeld(forDevice: t.device ?? "", key, &node, &out)
        case .deviceDeath:
            counters.sparkplug.deviceDeaths += 1
            node.deviceDied(t.device ?? "")
            return markStale(&out) { $0 == c.sensorID }
        case .deviceData where !node.liveDevices.contains(t.device ?? ""):
            // A device's data before its DBIRTH (or after its DDEATH): it took its place in the
            // sequence (it arrived: no gap in the node's other streams); its metrics wait for the
            // device's birth (when it was held already, an NBIRTH is being read: DBIRTHs follow).
            holdForBirth(c, counter: counter, key, &out)
            if !c.held { askRebirth(t, &node, c.receivedAt, &out) }
            return
        default: break
        }
        readings(message, at: counter, refused: refused, &node, c, &out)
    }

    /// The last topic level of a node's own dead letters (`dlq/<group>.<node>/sparkplug`): what
    /// concerns the whole message rather than one metric's stream.
    static let sparkplugLevel = "sparkplug"

    /// `dlq/<group>.<edge node>/sparkplug`: the dead letters of the node of `t`.
    static func sparkplugNodeDeadLetterTopic(_ t: SparkplugTopic) -> String {
        Topics.deadLetter(sparkplugNodeSensorID(t), sparkplugLevel)
    }

    /// The id of the edge node of `t` (`<group>.<edge node>`), whatever device `t` is of.
    static func sparkplugNodeSensorID(_ t: SparkplugTopic) -> String {
        EngineConfiguration.sparkplugSensorID(SparkplugTopic(group: t.group, type: t.type, edgeNode: t.edgeNode))
    }

    /// Where a message came from, for its dead letters and readings.
    struct SparkplugContext {
        var topic: SparkplugTopic
        var raw: String
        var payload: UnsafeBufferPointer<UInt8>
        var receivedAt: Int64
        var sensorID: String
        var nodeDLQ: String
        /// Read from `SparkplugHeldMessages` (counted when it was first held).
        var held = false
        /// The NBIRTH of a new session: its values open the epoch, whatever their timestamps
        /// (never taken for a repeat of the held data read into the epoch before it).
        var sessionBirth = false
    }

    /// An NBIRTH: a new epoch of the node's streams, its metrics declared, its values read.
    private mutating func nodeBirth(_ message: SparkplugPayload, _ key: String, _ c: SparkplugContext, _ out: inout Output) {
        let bdSeq = Self.bdSeq(of: message)
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
        if var session = old, !session.dead, session.bdSeq == bdSeq {
            // A rebirth in the same session (what a rebirth request brings): the streams go on
            // in their epoch; a rebirth a node is asked for every few seconds must not use up the
            // epochs a sender is allowed (`epoch-burst`), nor restart every stream's seqs.
            var birth = SparkplugNode(boot: session.boot, bdSeq: bdSeq, birthTimestamp: message.timestamp, birthSeq: message.seq ?? 0)
            let refused = declare(message, device: nil, &birth, c, &out)
            session.reborn(from: birth)
            session.lastHeard = c.receivedAt
            readings(message, at: session.sequence.birth, refused: refused, &session, c, &out)
            sparkplug.nodes[key] = session
            return
        }
        // The birth's time names the epoch, unless it is beyond the future tolerance (an edge
        // node's clock wrong by years would put every later epoch of the node there too).
        var stamped = Self.sparkplugTime(message.timestamp) ?? c.receivedAt
        if let tolerance = configuration.futureToleranceMs, stamped > c.receivedAt &+ tolerance, c.receivedAt >= Self.clockFloorMs {
            stamped = c.receivedAt
        }
        let boot = old.map { Swift.max($0.boot &+ 1, stamped) } ?? stamped
        var node = SparkplugNode(boot: boot, bdSeq: bdSeq, birthTimestamp: message.timestamp, birthSeq: message.seq ?? 0)
        node.lastRebirthRequest = old?.lastRebirthRequest ?? sparkplug.rebirthAsked[key]
        node.unansweredRebirths = old?.unansweredRebirths
        node.lastHeard = c.receivedAt
        sparkplug.rebirthAsked[key] = nil
        let refused = declare(message, device: nil, &node, c, &out)
        let following = readHeld(beforeBirth: message, key, &node, &out)
        var born = c
        born.sessionBirth = true
        readings(message, at: node.sequence.birth, refused: refused, &node, born, &out)
        readHeld(following: following, key, &node, &out)
        sparkplug.nodes[key] = node
    }

    /// An NDEATH of the node's current birth (its `bdSeq`, when both give one): every stream of
    /// the node and its devices is stale at once; data before the next NBIRTH is refused.
    private mutating func nodeDeath(_ message: SparkplugPayload, _ key: String, _ nodeSensorID: String, _ out: inout Output) {
        guard var node = sparkplug.nodes[key], !node.dead else { return }
        let bdSeq = Self.bdSeq(of: message)
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
    /// Sparkplug gives each metric one name and alias; a birth that gives a name twice, or an
    /// alias to two names, is dead-lettered (`sparkplug:duplicate_metric`, `duplicate_alias`)
    /// and what it cannot tell apart is not declared: data by that alias or name is refused as
    /// undeclared instead of being read as the other metric. Returns the names not declared.
    private mutating func declare(
        _ message: SparkplugPayload, device: String?, _ node: inout SparkplugNode, _ c: SparkplugContext, _ out: inout Output
    ) -> Set<String> {
        var names: [String: Int] = [:]
        var aliasNames: [UInt64: Set<String>] = [:]
        for m in message.metrics {
            guard let name = m.name else { continue }
            names[name, default: 0] += 1
            if let alias = m.alias { aliasNames[alias, default: []].insert(name) }
        }
        let twice = Set(names.filter { $0.value > 1 }.keys)
        let clashing = aliasNames.filter { $0.value.count > 1 }.keys
        for m in message.metrics {
            guard let name = m.name, let datatype = m.datatype, !twice.contains(name) else { continue }
            _ = node.declare(device: device, name: name, alias: m.alias, datatype: datatype)
        }
        for name in twice { node.forgetMetric(device: device, name: name) }
        for m in message.metrics where m.name.map(twice.contains) ?? false {
            if let alias = m.alias { node.forgetAlias(alias) }
        }
        for alias in clashing { node.forgetAlias(alias) }
        if !twice.isEmpty { deadLetter(.sparkplug("duplicate_metric"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out) }
        if !clashing.isEmpty { deadLetter(.sparkplug("duplicate_alias"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out) }
        return twice
    }

    /// The message's numeric metrics, each as a reading of its stream at the message's place.
    mutating func readings(
        _ message: SparkplugPayload, at counter: Int64, refused: Set<String>, _ node: inout SparkplugNode, _ c: SparkplugContext,
        _ out: inout Output
    ) {
        var unknown = false
        var ambiguous = false
        var repeated = false
        var read: Set<String> = []
        for metric in message.metrics where metric.name != "bdSeq" && !(metric.name.map(refused.contains) ?? false) {
            guard let (key, name, datatype) = node.resolve(metric, device: c.topic.device) else {
                if node.isAmbiguous(metric.alias) && metric.name == nil { ambiguous = true } else { unknown = true }
                continue
            }
            // One message gives a metric one value: a second is refused, not read as another seq.
            guard read.insert(key).inserted else {
                repeated = true
                continue
            }
            guard datatype.isNumeric, let measurement = configuration.sparkplugMeasurement(forMetric: name) else {
                counters.sparkplug.metricsIgnored += 1
                continue
            }
            let stream = StreamName(sensorID: c.sensorID, measurement: measurement == Topics.defaultMeasurement ? nil : measurement)
            // Looked up once; a tracked stream's dead-letter topic is its own (not built again).
            let existing = index[stream.key]
            let dlq = existing.map { sensors[$0].topics.deadLetter } ?? Topics.deadLetter(c.sensorID, measurement)
            // A rebirth in the session (and a device's new DBIRTH) repeats each metric's current
            // value: with a timestamp no later than what the stream has in this epoch, it is that
            // reading again, not a new one (its seq is not taken, so it is no gap either). A new
            // session's birth starts a new epoch and is read, whatever its clock says.
            if !c.sessionBirth, c.topic.type == .nodeBirth || c.topic.type == .deviceBirth, let existing, sensors[existing].boot == node.boot,
                let ts = Self.sparkplugTime(metric.timestamp ?? message.timestamp), ts <= sensors[existing].maxTs
            {
                counters.sparkplug.birthRepeats += 1
                continue
            }
            guard let seq = node.seq(of: key, at: counter) else {
                deadLetter(.tooLate, dlq, c.raw, c.payload, c.receivedAt, &out, sensor: existing)
                continue
            }
            if metric.value == .null {
                counters.sparkplug.nullMetrics += 1  // its seq stays a gap
                continue
            }
            guard let value = metric.number(as: datatype) else {
                deadLetter(.badType("value"), dlq, c.raw, c.payload, c.receivedAt, &out, sensor: existing)
                continue
            }
            let stamp = metric.timestamp ?? message.timestamp
            guard let ts = Self.sparkplugTime(stamp) else {
                // Absent, or beyond the contract's limit (year 10000): a time that is there but
                // unusable is a bad value, as for a JSON reading (found black-box: 2^63-1 was
                // dead-lettered `missing_field:ts`).
                deadLetter(stamp == nil ? .missingField("ts") : .badValue("ts"), dlq, c.raw, c.payload, c.receivedAt, &out, sensor: existing)
                continue
            }
            let quality = metric.quality.map { $0 >= SparkplugMetric.QualityCode.good } ?? true
            let reading = Reading(sensorID: c.sensorID, seq: seq, ts: ts, temperature: value, status: quality ? .normal : .deviated, boot: node.boot)
            hold(&out, to: stream)
            if let existing { sensors[existing].takesNoResendRequests() }
            if let i = accept(reading, stream, existing: existing, cacheTopic: nil, dlq, c.raw, c.payload, c.receivedAt, &out) {
                sensors[i].takesNoResendRequests()  // a stream new here: from its next decision on
            }
        }
        if repeated { deadLetter(.sparkplug("duplicate_metric"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out) }
        if unknown || ambiguous {
            deadLetter(.sparkplug("unknown_metric"), c.nodeDLQ, c.raw, c.payload, c.receivedAt, &out)
            // A birth's own undeclared metric (one without a name or datatype) would come back
            // in every rebirth: asking for one would only repeat it.
            // So would data by an alias its birth made ambiguous (`declare`).
            if unknown && c.topic.type != .nodeBirth && c.topic.type != .deviceBirth {
                askRebirth(c.topic, &node, c.receivedAt, &out)
            }
        } else if node.unansweredRebirths != nil && c.topic.type != .nodeBirth && c.topic.type != .deviceBirth {
            node.unansweredRebirths = nil  // a data message read whole: the births declare what it sends
        }
    }

    /// Asks a node the engine has no birth of for one, within the rate limit.
    private mutating func askRebirth(_ t: SparkplugTopic, _ key: String, _ now: Int64, _ out: inout Output) {
        guard configuration.sparkplugRebirth == true,
            sparkplug.mayAskRebirth(key, at: now, cap: configuration.maxSensors ?? EngineConfiguration.defaultMaxSensors)
        else { return }
        sendRebirthRequest(t, now, &out)
    }

    /// Asks a node the engine holds for a rebirth, when the gateway may and the node was not
    /// asked within its interval (`SparkplugNodes.intervalPassed`: longer after each rebirth
    /// that did not help).
    private mutating func askRebirth(_ t: SparkplugTopic, _ node: inout SparkplugNode, _ now: Int64, _ out: inout Output) {
        guard configuration.sparkplugRebirth == true,
            SparkplugNodes.intervalPassed(since: node.lastRebirthRequest, now: now, unanswered: node.unansweredRebirths ?? 0)
        else { return }
        node.lastRebirthRequest = now
        node.unansweredRebirths = (node.unansweredRebirths ?? 0) + 1
        sendRebirthRequest(t, now, &out)
    }

    /// The `NCMD` with `Node Control/Rebirth` true.
    private mutating func sendRebirthRequest(_ t: SparkplugTopic, _ now: Int64, _ out: inout Output) {
        counters.sparkplug.rebirthRequests += 1
        let request = SparkplugPayload(
            timestamp: UInt64(clamping: now),
            metrics: [SparkplugMetric(name: "Node Control/Rebirth", timestamp: UInt64(clamping: now), datatype: .boolean, value: .boolean(true))])
        out.emit(.resendRequest, SparkplugTopic(group: t.group, type: .nodeCommand, edgeNode: t.edgeNode).text, request.serialized())
    }

    /// The `bdSeq` metric's value as sent (its integer field, whatever its datatype says; no
    /// conversion that a hostile value could overflow), nil without one.
    static func bdSeq(of message: SparkplugPayload) -> UInt64? {
        switch message.metrics.first(where: { $0.name == "bdSeq" })?.value {
        case .long(let v): v
        case .int(let v): UInt64(v)
        default: nil
        }
    }

    /// A Sparkplug time (ms since the epoch, unsigned) as the engine's; nil when absent or past
    /// the contract's limit (year 10000).
    static func sparkplugTime(_ t: UInt64?) -> Int64? {
        guard let t, t < UInt64(ReadingParser.timestampLimit) else { return nil }
        return Int64(t)
    }
}
