import Wire

/// One stream of the engine: a sensor's readings of one measurement (`measurement` nil for
/// temperature, the default). Its `key` indexes the engine's state: the sensor id alone for
/// temperature (as before measurements existed, so saved state keeps its keys), `<id>/<name>`
/// for another measurement (`/` never occurs in a sensor id).
struct StreamName: Hashable, Sendable {
    var sensorID: String
    var measurement: String?

    var key: String { measurement.map { "\(sensorID)/\($0)" } ?? sensorID }

    /// The topic level and payload field of its measurement.
    var measurementName: String { measurement ?? Topics.defaultMeasurement }

    /// The stream an output topic (`cleaned/`, `latest/`, `dlq/`: `<prefix>/<id>/<measurement>`) belongs to.
    init?(outputTopic topic: String) {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[1].isEmpty else { return nil }
        self.init(sensorID: String(parts[1]), measurement: parts[2] == Topics.defaultMeasurement ? nil : String(parts[2]))
    }

    init(sensorID: String, measurement: String?) {
        self.sensorID = sensorID
        self.measurement = measurement
    }
}

/// Which topics carry which measurement's readings: the `topic-filter` for temperature, and for
/// each other measurement the filter with its last level replaced by the measurement's name
/// (`sensors/+/humidity`). Derived from the settings, never saved.
struct MeasurementRoutes: Sendable {
    private var patterns: [(pattern: TopicPattern, measurement: String?)] = []

    init() {}

    init(_ configuration: EngineConfiguration) {
        patterns = [(configuration.topicPattern, nil)]
        for m in configuration.measurements ?? [] {
            if let p = configuration.topicPattern.withLastLevel(m.name) { patterns.append((p, m.name)) }
        }
    }

    var isEmpty: Bool { patterns.isEmpty }

    /// The stream `topic` carries; `.invalidSensorID` / `.noMatch` as `TopicPattern.match` says.
    func match(_ topic: String) -> (TopicPattern.Match, measurement: String?) {
        var found: (TopicPattern.Match, measurement: String?) = (.noMatch, nil)
        for (pattern, measurement) in patterns {
            switch pattern.match(topic) {
            case .sensor(let id): return (.sensor(id), measurement)
            case .invalidSensorID: found = (.invalidSensorID, measurement)
            case .noMatch: continue
            }
        }
        return found
    }

    /// The inbound topic of `stream`.
    func topic(for stream: StreamName) -> String? {
        patterns.first { $0.measurement == stream.measurement }?.pattern.topic(for: stream.sensorID)
    }
}
