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
    case subscribed(messageID: MessageID)
    /// The broker answered a subscription with failure (0x80), e.g. its ACL forbids the filter.
    case subscriptionRefused(messageID: MessageID)
}
