/// One message the gateway must publish (QoS 1), produced by the engine. The engine renders the
/// payload itself so that live output, replays and re-publication after a crash are the same bytes.
public struct Publication: Sendable, Equatable, Codable {
    public enum Kind: UInt8, Sendable, Codable {
        case cleaned = 1
        case deadLetter = 2
        case resendRequest = 3
        case sensorState = 4
        case aggregate = 5
        /// The retained last value on `latest/` (a copy of a cleaned message).
        case latest = 6
    }

    public var kind: Kind
    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool

    public init(kind: Kind, topic: String, payload: [UInt8], retain: Bool = false) {
        self.kind = kind
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }

    /// The payload as text, for logs and tests.
    public var text: String { String(decoding: payload, as: UTF8.self) }
}
