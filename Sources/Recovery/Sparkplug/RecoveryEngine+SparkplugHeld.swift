import Sparkplug
import Wire

/// Sparkplug data that needs a birth the engine does not have yet (`SparkplugHeldMessages`,
/// docs/SPARKPLUG.md "Data before a birth"): held, read once the birth arrives, dead-lettered
/// when none comes in time.
extension RecoveryEngine {
    /// Holds the message of `c` for node `key`; `counter` is its place in the node's sequence
    /// when the node has a birth (a device's data before its DBIRTH). What the bounds displace
    /// or refuse is dead-lettered.
    mutating func holdForBirth(_ c: SparkplugContext, counter: Int64?, _ key: String, _ out: inout Output) {
        let message = SparkplugHeldMessages.Message(topic: c.raw, payload: Array(c.payload), receivedAt: c.receivedAt, counter: counter)
        switch sparkplug.held.hold(message, node: key) {
        case .held: break
        case .heldDisplacing(let displaced): deadLetterHeld(displaced, &out)
        case .refused: return deadLetterHeld(message, &out)
        }
        if !c.held { counters.sparkplug.heldForBirth += 1 }
    }

    /// At an NBIRTH that starts a session (`node` holds its declarations): the data held for
    /// the node since before it, read in the order it arrived as if the node had been born just
    /// before the first of it, the birth then placed after it, so its values come first and
    /// gaps among them are found. A device's data placed in an earlier session's sequence
    /// (waiting for a DBIRTH that session will not send now) is dead-lettered.
    mutating func readHeld(beforeBirth birth: SparkplugPayload, _ key: String, _ node: inout SparkplugNode, _ out: inout Output) {
        var started = false
        for held in sparkplug.held.take(node: key) {
            held.payload.withUnsafeBufferPointer { payload in
                guard held.counter == nil, let (message, c) = Self.heldMessage(held, payload) else { return deadLetterHeld(held, &out) }
                if !started, let seq = message.seq {
                    node.startSequence(before: seq)
                    started = true
                }
                if c.topic.type != .deviceData || node.liveDevices.contains(c.topic.device ?? "") {
                    counters.sparkplug.readAfterBirth += 1  // (a device's data waits on, for its DBIRTH)
                }
                nodeMessage(message, key, &node, c, &out)
            }
        }
        if started { node.restartSequence(birthSeq: birth.seq ?? 0, timestamp: birth.timestamp) }
    }

    /// At a DBIRTH (its metrics declared): the device's data held since before it, read at the
    /// places it took in the node's sequence, before the birth's own values.
    mutating func readHeld(forDevice device: String, _ key: String, _ node: inout SparkplugNode, _ out: inout Output) {
        let held = sparkplug.held.take(node: key) { held in
            guard held.counter != nil, case .message(let t) = SparkplugTopic.parse(held.topic) else { return false }
            return t.device == device
        }
        for h in held {
            h.payload.withUnsafeBufferPointer { payload in
                guard let counter = h.counter, let (message, c) = Self.heldMessage(h, payload) else { return deadLetterHeld(h, &out) }
                counters.sparkplug.readAfterBirth += 1
                readings(message, at: counter, refused: [], &node, c, &out)
            }
        }
    }

    /// Dead-letters (`sparkplug:no_birth`, the payload kept) what has waited `holdMs` for a birth.
    mutating func deadLetterExpiredHeld(now: Int64, _ out: inout Output) {
        for (_, held) in sparkplug.held.takeExpired(before: now &- SparkplugHeldMessages.holdMs &+ 1) { deadLetterHeld(held, &out) }
    }

    private mutating func deadLetterHeld(_ held: SparkplugHeldMessages.Message, _ out: inout Output) {
        let dlq: String
        if case .message(let t) = SparkplugTopic.parse(held.topic) { dlq = Self.sparkplugNodeDeadLetterTopic(t) } else { dlq = Topics.invalidDeadLetter }
        held.payload.withUnsafeBufferPointer { deadLetter(.sparkplug("no_birth"), dlq, held.topic, $0, held.receivedAt, &out) }
    }

    /// A held message decoded again, with its context (it decoded when it was held).
    private static func heldMessage(
        _ held: SparkplugHeldMessages.Message, _ payload: UnsafeBufferPointer<UInt8>
    ) -> (SparkplugPayload, SparkplugContext)? {
        guard case .message(let t) = SparkplugTopic.parse(held.topic),
            let message = try? SparkplugPayload(decoding: UnsafeRawBufferPointer(payload))
        else { return nil }
        let c = SparkplugContext(
            topic: t, raw: held.topic, payload: payload, receivedAt: held.receivedAt, sensorID: EngineConfiguration.sparkplugSensorID(t),
            nodeDLQ: sparkplugNodeDeadLetterTopic(t), held: true)
        return (message, c)
    }
}
