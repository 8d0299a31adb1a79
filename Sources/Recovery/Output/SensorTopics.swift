import Wire

/// The topics one sensor's messages go to, built once per sensor.
struct SensorTopics: Codable, Sendable {
    var cleaned: String
    var deadLetter: String
    var resend: String
    var state: String
    var aggregate: String

    init(sensorID: String, configuration: EngineConfiguration) {
        cleaned = Topics.cleaned(sensorID)
        deadLetter = Topics.deadLetter(sensorID)
        resend = Topics.resend(sensorID)
        state = Topics.sensorState(gateway: configuration.gatewayID, sensor: sensorID)
        aggregate = Topics.aggregate(sensorID, window: configuration.aggregateWindowLabel)
    }
}
