import Wire

/// The topics one sensor's messages go to, built once per sensor.
struct SensorTopics: Codable, Sendable {
    var cleaned: String
    var deadLetter: String
    var resend: String
    var state: String
    var aggregate: String
    var latest: String

    init(sensorID: String, measurement: String? = nil, configuration: EngineConfiguration) {
        let m = measurement ?? Topics.defaultMeasurement
        cleaned = Topics.cleaned(sensorID, m)
        latest = Topics.latest(sensorID, m)
        deadLetter = Topics.deadLetter(sensorID, m)
        resend = Topics.resend(sensorID)
        state = Topics.sensorState(gateway: configuration.gatewayID, sensor: sensorID, measurement: m)
        aggregate = Topics.aggregate(sensorID, m, window: configuration.aggregateWindowLabel)
    }

    private enum CodingKeys: String, CodingKey { case cleaned, deadLetter, resend, state, aggregate, latest }

    /// Snapshots from before `latest/` lack its topic: it is derived from the cleaned one.
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        cleaned = try c.decode(String.self, forKey: .cleaned)
        deadLetter = try c.decode(String.self, forKey: .deadLetter)
        resend = try c.decode(String.self, forKey: .resend)
        state = try c.decode(String.self, forKey: .state)
        aggregate = try c.decode(String.self, forKey: .aggregate)
        latest = try c.decodeIfPresent(String.self, forKey: .latest) ?? "latest/" + cleaned.dropFirst("cleaned/".count)
    }
}
