import Wire

/// Payloads of the gateway's non-reading messages (docs/INTERFACE.md sections 3 and 4).
enum Messages {
    static func deadLetter(reason: RejectionReason, topic: String, receivedAt: Int64, payload: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> [UInt8] {
        var w = JSONWriter(capacity: payload.count + 128)
        w.string("reason", reason.code)
        w.string("topic", topic)
        w.int("received_at", receivedAt)
        let truncated = payload.count > maxBytes
        let kept = UnsafeBufferPointer(rebasing: payload.prefix(maxBytes))
        if kept.allSatisfy({ $0 < 0x80 }) || String(validating: kept, as: UTF8.self) != nil {
            w.rawString("payload", utf8: kept)
        } else {
            Base64.encode(kept).withUnsafeBufferPointer { w.rawString("payload_base64", utf8: $0) }
        }
        if truncated { w.bool("truncated", true) }
        // The ingest cut it to this length (found black-box, 66th review: a 60,000-byte topic
        // came out as its first 4,096 bytes, unflagged). One of exactly that length is flagged
        // too: it cannot be told from a cut one.
        if topic.utf8.count >= Topics.maxJournaledTopicBytes { w.bool("topic_truncated", true) }
        return w.finish()
    }

    static func resendRequest(from: UInt64, to: UInt64?, measurement: String) -> [UInt8] {
        var w = JSONWriter(capacity: 80)
        w.uint("from_seq", from)
        if let to { w.uint("to_seq", to) }
        // Which of the sensor's streams to resend (CONTRACT.md section 10); sensors that keep
        // one buffer ignore it.
        w.string("measurement", measurement)
        return w.finish()
    }

    /// A sensor's state as announced on its retained state topic.
    enum SensorPresence: String {
        case live, stale
        /// Silent for the retention period and forgotten (`sensorRetentionMs`).
        case expired
    }

    static func sensorState(_ presence: SensorPresence, lastSeq: UInt64?, lastSeen: Int64) -> [UInt8] {
        var w = JSONWriter(capacity: 64)
        w.string("state", presence.rawValue)
        if let lastSeq { w.uint("last_seq", lastSeq) }
        w.int("last_seen", lastSeen)
        return w.finish()
    }

    /// `journalDamaged`: the window may count fewer readings than the consumers hold
    /// (`AggregateWindows.journalDamagedBefore`).
    static func aggregate(sensorID: String, window: AggregateWindows.Window, width: Int64, journalDamaged: Bool = false) -> [UInt8] {
        let all = window.all
        var w = JSONWriter(capacity: 220)
        w.string("sensor_id", sensorID)
        w.int("window_start", window.start)
        w.int("window_end", window.start + width)
        w.int("count", Int64(all.count))
        if all.count > 0 {
            w.double("min", all.min)
            w.double("max", all.max)
            // The mean to 0.001, or unrounded when too large to scale (never null while the sum
            // is finite; valid ranges are bounded so that it is).
            let mean = all.sum / Double(all.count)
            let rounded = (mean * 1000).rounded() / 1000
            w.double("mean", rounded.isFinite ? rounded : mean)
        } else {
            // Every estimate it counted was restated into the window beside it: an empty window
            // still names its statistics, as null (found black-box, 80th review: a revision
            // without them left a historian the earlier revision's).
            w.null("min")
            w.null("max")
            w.null("mean")
        }
        w.int("ok", Int64(window.real.count))
        w.int("corrected", Int64(window.count(.corrected)))
        w.int("synthetic", Int64(window.count(.synthetic)))
        w.int("revision", Int64(window.revision))
        if journalDamaged { w.bool("journal_damaged", true) }
        return w.finish()
    }
}
