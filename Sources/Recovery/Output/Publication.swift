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
    /// The reading `payload` was rendered from, when it is one (`cleaned` and `latest`): the
    /// journal keeps that instead of the text, a fifth of the bytes (`CompactPublication`).
    /// Not part of the message: equality and `Codable` ignore it.
    var released: ReleasedReading?

    public init(kind: Kind, topic: String, payload: [UInt8], retain: Bool = false) {
        self.kind = kind
        self.topic = topic
        self.payload = payload
        self.retain = retain
    }

    init(kind: Kind, topic: String, released: ReleasedReading, payload: [UInt8], retain: Bool) {
        self.init(kind: kind, topic: topic, payload: payload, retain: retain)
        self.released = released
    }

    /// The payload as text, for logs and tests.
    public var text: String { String(decoding: payload, as: UTF8.self) }

    public static func == (a: Publication, b: Publication) -> Bool {
        a.kind == b.kind && a.retain == b.retain && a.topic == b.topic && a.payload == b.payload
    }

    private enum CodingKeys: String, CodingKey { case kind, topic, payload, retain }
}

extension Publication {
    /// What a released reading's message says, for outputs of another form (the Sparkplug edge
    /// node) without parsing the payload: nil for a gap and for messages that are not a reading's.
    public var releasedFields: ReleasedFields? {
        released.map { r in
            ReleasedFields(
                seq: r.seq, ts: r.ts, value: r.temperature, quality: r.quality, supersedes: r.supersedes, method: r.method?.rawValue, boot: r.boot)
        }
    }
}

/// A released reading's fields as its cleaned message carries them (`Publication.releasedFields`).
public struct ReleasedFields: Sendable, Equatable {
    public var seq: UInt64
    public var ts: Int64
    /// The value, under its measurement's name in the message.
    public var value: Double
    public var quality: Quality
    /// `restated`: the quality it replaces.
    public var supersedes: Quality?
    /// `synthetic`: how it was estimated.
    public var method: String?
    /// The epoch's `boot`, when it has one.
    public var boot: Int64?
}
