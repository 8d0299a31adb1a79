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
