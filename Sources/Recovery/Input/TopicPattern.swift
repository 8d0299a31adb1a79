/// Matches topics against the subscription filter and extracts the sensor id at its `+` level.
public struct TopicPattern: Sendable, Codable, Equatable {
    public let filter: String
    private let levels: [String]
    private let sensorLevel: Int

    /// The filter must contain exactly one `+` level (the sensor id) and no `#`.
    public init?(_ filter: String) {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard let plus = levels.firstIndex(of: "+"), levels.filter({ $0 == "+" }).count == 1,
            !levels.contains(where: { $0.contains("#") || ($0 != "+" && $0.contains("+")) })
        else { return nil }
        self.filter = filter
        self.levels = levels
        sensorLevel = plus
    }

    public enum Match: Equatable {
        case sensor(String)
        case invalidSensorID
        case noMatch
    }

    /// The sensor id in `topic`, `.invalidSensorID` when the level is there but breaks the rules.
    public func match(_ topic: String) -> Match {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == levels.count else { return .noMatch }
        for (i, level) in levels.enumerated() where i != sensorLevel && parts[i] != level { return .noMatch }
        let id = parts[sensorLevel]
        return SensorID.isValid(Array(id.utf8)) ? .sensor(String(id)) : .invalidSensorID
    }

    /// The topic on which `sensorID` publishes (the filter with its `+` level filled in).
    public func topic(for sensorID: String) -> String {
        var parts = levels
        parts[sensorLevel] = sensorID
        return parts.joined(separator: "/")
    }

    /// The filter with its last level set to `level` (another measurement's topics), or nil when
    /// the last level is the sensor id's.
    public func withLastLevel(_ level: String) -> TopicPattern? {
        guard sensorLevel != levels.count - 1 else { return nil }
        var parts = levels
        parts[parts.count - 1] = level
        return TopicPattern(parts.joined(separator: "/"))
    }

    /// Whether the last level is a fixed one (the measurement's), so other measurements' topics
    /// can be derived from the filter.
    public var namesMeasurement: Bool { sensorLevel != levels.count - 1 }

    enum CodingKeys: String, CodingKey { case filter }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let f = try c.decode(String.self, forKey: .filter)
        guard let p = TopicPattern(f) else {
            throw DecodingError.dataCorruptedError(forKey: .filter, in: c, debugDescription: "bad topic filter \(f)")
        }
        self = p
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(filter, forKey: .filter)
    }
}
