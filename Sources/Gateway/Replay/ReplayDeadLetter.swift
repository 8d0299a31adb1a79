import Recovery
import Wire

/// A replay request refused with no topic to answer on (its `request_id` is missing or unusable
/// and it named no usable `reply_topic`, or it is not JSON) is dead-lettered on
/// `dlq/_invalid/temperature`, so a requester's mistake is never dropped in silence.
enum ReplayDeadLetter {
    /// Why the request cannot be answered, in the dead-letter reasons' words.
    static func reason(for payload: [UInt8]) -> RejectionReason {
        guard case .object(let members)? = try? WireJSON.decode(JSONValue.self, from: payload) else { return .malformedJSON }
        switch members["request_id"] {
        case nil: return .missingField("request_id")
        case .some(.string): return .badValue("request_id")
        default: return .badType("request_id")
        }
    }

    /// The dead letter for `payload`, received on `topic`.
    static func message(for payload: [UInt8], topic: String, receivedAt: Int64, maxBytes: Int) -> [UInt8] {
        DeadLetterMessage.payload(reason: reason(for: payload), topic: topic, receivedAt: receivedAt, payload: payload, maxBytes: maxBytes)
    }
}
