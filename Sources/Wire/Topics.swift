/// Every MQTT topic of docs/INTERFACE.md, built and parsed here only: the gateway, the
/// simulator and the tests all name topics through this.
public enum Topics {
    /// Readings from sensors: `sensors/<sensor_id>/temperature` (the default `topic-filter`).
    public static func reading(_ sensorID: String) -> String { "sensors/\(sensorID)/temperature" }
    public static let readingsFilter = "sensors/+/temperature"

    /// Resend requests to a sensor: `sensors/<sensor_id>/resend`.
    public static func resend(_ sensorID: String) -> String { "sensors/\(sensorID)/resend" }
    public static let resendFilter = "sensors/+/resend"

    /// Cleaned readings: `cleaned/<sensor_id>/temperature`.
    public static func cleaned(_ sensorID: String) -> String { "cleaned/\(sensorID)/temperature" }
    public static let cleanedFilter = "cleaned/#"

    /// Dead letters: `dlq/<sensor_id>/temperature`, or `dlq/_invalid/temperature` when no valid
    /// sensor id could be read from the topic.
    public static func deadLetter(_ sensorID: String) -> String { "dlq/\(sensorID)/temperature" }
    public static let invalidDeadLetter = "dlq/_invalid/temperature"

    /// Aggregate windows: `aggregates/<sensor_id>/temperature/<window>` (`60s`).
    public static func aggregate(_ sensorID: String, window: String) -> String { "aggregates/\(sensorID)/temperature/\(window)" }

    /// A sensor's retained state (`live`, `stale`, `expired`): `gateway/<gateway_id>/sensors/<sensor_id>`.
    public static func sensorState(gateway: String, sensor: String) -> String { "gateway/\(gateway)/sensors/\(sensor)" }

    /// The gateway's retained status (`online`, `offline`): `gateway/<gateway_id>/status`.
    public static func gatewayStatus(_ gatewayID: String) -> String { "gateway/\(gatewayID)/status" }

    /// Where replay requests go: `gateway/<gateway_id>/replay`.
    public static func replayRequests(_ gatewayID: String) -> String { "gateway/\(gatewayID)/replay" }

    /// Replay answers lie under `replay/`; `replay/<request_id>` unless the request names another.
    public static let replayPrefix = "replay/"
    public static func replayReply(_ requestID: String) -> String { replayPrefix + requestID }

    /// The sensor id of a `sensors/<id>/resend` topic, if it is one.
    public static func sensor(ofResend topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sensors", parts[2] == "resend", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }
}
