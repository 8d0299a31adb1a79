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
    /// the node since before it, read in the order of its seqs (it may have arrived out of
    /// order) as if the node had been born just before the lowest, the birth then placed after
    /// it, so its values come first and gaps among them are found. A device's data placed in
    /// an earlier session's sequence (waiting for a DBIRTH that session will not send now) is
    /// dead-lettered.
    ///
    /// Held data that follows the birth in its own sequence (its seq up to 128 after the
    /// birth's, stamped no earlier than the birth) is not read here but returned, in the order
    /// of its seqs, for `readHeld(following:)` once the birth's values are read: it is the new
    /// session's own data, which overtook its birth on the way. Read before the birth, it took
    /// the epoch's first seqs, the birth's value was taken for a repeat and not read, and the
    /// birth's place in the sequence made the data after it a gap filled with readings that
    /// never existed (found black-box: NDATA 1-3 before NBIRTH 0, then 4-6: the birth's 53.0
    /// lost and three `synthetic` readings invented).
    mutating func readHeld(
        beforeBirth birth: SparkplugPayload, _ key: String, _ node: inout SparkplugNode, _ out: inout Output
    ) -> [SparkplugHeldMessages.Message] {
        var readable: [(held: SparkplugHeldMessages.Message, seq: UInt64?)] = []
        var following: [(held: SparkplugHeldMessages.Message, after: Int64)] = []
        for held in sparkplug.held.take(node: key) {
            guard held.counter == nil else {
                deadLetterHeld(held, &out)
                continue
            }
            let message = held.payload.withUnsafeBufferPointer { Self.heldMessage(held, $0)?.0 }
            if let seq = message?.seq, let stamp = message?.timestamp, let born = birth.timestamp, stamp >= born {
                let after = (Int64(seq & 0xFF) - Int64((birth.seq ?? 0) & 0xFF)) & 0xFF
                if after >= 1 && after <= 128 {
                    following.append((held, after))
                    continue
                }
            }
            readable.append((held, message?.seq))
        }
        let followingInOrder = following.sorted { $0.after < $1.after }.map(\.held)
        // Each seq's place relative to the first to arrive, within half a round either way
        // (the sequence's own rule: at most 128 held a node); a message without a seq is read
        // where it came, and dead-lettered there.
        guard let first = readable.lazy.compactMap(\.seq).first else {
            for (held, _) in readable { readOneHeld(held, key, &node, &out) }
            return followingInOrder
        }
        let offsets: [Int64?] = readable.map { entry in
            entry.seq.map { seq in
                let d = (Int64(seq & 0xFF) - Int64(first & 0xFF)) & 0xFF
                return d < 128 ? d : d - 256
            }
        }
        let ordered = readable.indices.sorted { (offsets[$0] ?? 0, $0) < (offsets[$1] ?? 0, $1) }.map { readable[$0] }
        let lowest = offsets.compactMap { $0 }.min() ?? 0
        node.startSequence(before: UInt64(bitPattern: Int64(first & 0xFF) + lowest) & 0xFF)
        for entry in ordered { readOneHeld(entry.held, key, &node, &out) }
        node.restartSequence(birthSeq: birth.seq ?? 0, timestamp: birth.timestamp)
        return followingInOrder
    }

    /// The held data that follows a birth in its own sequence (`readHeld(beforeBirth:)`), read
    /// after the birth's values, at the places the birth's sequence gives it.
    mutating func readHeld(following held: [SparkplugHeldMessages.Message], _ key: String, _ node: inout SparkplugNode, _ out: inout Output) {
        for h in held { readOneHeld(h, key, &node, &out) }
    }

    /// One held message of a node without a birth, read now that it has one.
    private mutating func readOneHeld(_ held: SparkplugHeldMessages.Message, _ key: String, _ node: inout SparkplugNode, _ out: inout Output) {
        held.payload.withUnsafeBufferPointer { payload in
            guard let (message, c) = Self.heldMessage(held, payload) else { return deadLetterHeld(held, &out) }
            if c.topic.type != .deviceData || node.liveDevices.contains(c.topic.device ?? "") {
                counters.sparkplug.readAfterBirth += 1  // (a device's data waits on, for its DBIRTH)
            }
            nodeMessage(message, key, &node, c, &out)
        }
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
