/// MQTT's delivery guarantees. The gateway uses `atLeastOnce` everywhere: with its journal and
/// idempotent output that is exactly-once in effect, at a third of QoS 2's packets.
public enum QoS: Int32, Sendable, CaseIterable {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2
}
