/// A request on `gateway/<gateway_id>/replay` (docs/INTERFACE.md section 5). Every field is
/// optional here, and one of the wrong type reads as absent, so the gateway can answer each
/// mistake with its own error instead of one "cannot decode".
public struct ReplayRequest: Codable, Sendable, Equatable {
    public var requestID: String?
    /// A sensor id, or `*` for every sensor.
    public var sensorID: String?
    /// Event times (epoch ms), `from <= ts < to`; nil when absent or not a time.
    public var from: Int64?
    public var to: Int64?
    /// Where the answer goes; `replay/<request_id>` when absent.
    public var replyTopic: String?
    /// The form of the replayed messages (`json`, `csv`, `influx`); nil when absent, "" when
    /// present but not text.
    public var format: String?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id", sensorID = "sensor_id", from, to, replyTopic = "reply_topic", format
    }

    public init(requestID: String?, sensorID: String?, from: Int64?, to: Int64?, replyTopic: String? = nil, format: String? = nil) {
        self.requestID = requestID
        self.sensorID = sensorID
        self.from = from
        self.to = to
        self.replyTopic = replyTopic
        self.format = format
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestID = try? c.decodeIfPresent(String.self, forKey: .requestID)
        sensorID = try? c.decodeIfPresent(String.self, forKey: .sensorID)
        replyTopic = try? c.decodeIfPresent(String.self, forKey: .replyTopic)
        format = c.contains(.format) ? ((try? c.decode(String.self, forKey: .format)) ?? "") : nil
        from = Self.time(c, .from)
        to = Self.time(c, .to)
    }

    /// The contract's time forms: epoch milliseconds (a JSON number) or RFC 3339 text.
    private static func time(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) -> Int64? {
        if let ms = try? c.decodeIfPresent(Int64.self, forKey: key) { return ms }
        if let d = try? c.decodeIfPresent(Double.self, forKey: key) { return Timestamp.milliseconds(d) }
        if let s = try? c.decodeIfPresent(String.self, forKey: key) { return Timestamp.parse(s) }
        return nil
    }
}
