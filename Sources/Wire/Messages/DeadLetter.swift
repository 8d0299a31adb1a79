/// A message the gateway could not accept, on `dlq/<sensor_id>/temperature` (docs/INTERFACE.md
/// section 3).
public struct DeadLetter: Codable, Sendable, Equatable {
    /// `malformed_json`, `missing_field:<name>`, `bad_value:<name>`, `too_many_sensors`, ...
    public var reason: String
    /// The topic it came in on.
    public var topic: String
    public var receivedAt: Int64
    /// The payload as received when it is valid UTF-8; otherwise `payloadBase64`.
    public var payload: String?
    public var payloadBase64: String?
    /// Set when the payload was cut to `max_payload_bytes`.
    public var truncated: Bool?
    /// Set when the topic was cut to `Topics.maxJournaledTopicBytes` (or was exactly that long).
    public var topicTruncated: Bool?

    enum CodingKeys: String, CodingKey {
        case reason, topic, receivedAt = "received_at", payload, payloadBase64 = "payload_base64", truncated
        case topicTruncated = "topic_truncated"
    }
}
