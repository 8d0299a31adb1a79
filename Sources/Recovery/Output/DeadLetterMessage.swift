import Wire

/// The dead-letter message (docs/INTERFACE.md section 3) for a message refused outside the
/// readings' path, such as a replay request that cannot be answered: the same shape as a
/// reading's, so one consumer of `dlq/#` reads both.
public enum DeadLetterMessage {
    public static func payload(reason: RejectionReason, topic: String, receivedAt: Int64, payload: [UInt8], maxBytes: Int) -> [UInt8] {
        payload.withUnsafeBufferPointer { Messages.deadLetter(reason: reason, topic: topic, receivedAt: receivedAt, payload: $0, maxBytes: maxBytes) }
    }
}
