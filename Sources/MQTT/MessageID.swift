/// The id libmosquitto gives a publish or a subscribe, to match it with the broker's answer
/// (`MQTTEvent.published`, `.subscribed`): a type of its own, so it cannot be confused with the
/// other integers around it (QoS, return codes, lengths).
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    public var description: String { "\(rawValue)" }
}
