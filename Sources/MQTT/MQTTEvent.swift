/// What happened on the connection, in the order libmosquitto reported it.
public enum MQTTEvent: Sendable, Equatable {
    /// The broker accepted the connection; `sessionPresent` says it kept our persistent session.
    case connected(sessionPresent: Bool)
    /// A connection attempt failed (refused, unreachable, not authorised); the client keeps
    /// retrying. The error carries libmosquitto's code, or the broker's CONNACK code.
    case connectFailed(MQTTError)
    /// An established connection ended. `expected` is true after `disconnect()`.
    case disconnected(reason: String, expected: Bool)
    case message(MQTTMessage)
    /// The broker acknowledged the publish with this message id (PUBACK for QoS 1, PUBCOMP for 2).
    case published(messageID: MessageID)
    /// Over MQTT 5 (`maximumInboundPacketBytes` set): the broker answered the publish with a
    /// refusal, a reason code of 0x80 or more (0x87 not authorised, 0x95 packet too large, 0x97
    /// quota exceeded). It comes just before that publish's `.published`: the broker will not
    /// take it again, so it is done, but it did not reach the broker's subscribers. (MQTT 3.1.1
    /// has no way to say so: a broker drops such a publish and acknowledges it.)
    case publishRefused(messageID: MessageID, reasonCode: Int32, reason: String)
    case subscribed(messageID: MessageID)
    /// The broker answered a subscription with failure (0x80), e.g. its ACL forbids the filter.
    case subscriptionRefused(messageID: MessageID)
}
