/// Every MQTT topic of docs/INTERFACE.md, built and parsed here only: the gateway, the
/// simulator and the tests all name topics through this.
public enum Topics {
    /// The measurement of the default topics and payloads (CONTRACT.md sections 1-9).
    public static let defaultMeasurement = "temperature"

    /// Readings from sensors: `sensors/<sensor_id>/<measurement>` (the default `topic-filter` is
    /// `sensors/+/temperature`).
    public static func reading(_ sensorID: String, _ measurement: String = defaultMeasurement) -> String {
        "sensors/\(sensorID)/\(measurement)"
    }
    public static let readingsFilter = "sensors/+/temperature"

    /// Resend requests to a sensor: `sensors/<sensor_id>/resend`.
    public static func resend(_ sensorID: String) -> String { "sensors/\(sensorID)/resend" }
    public static let resendFilter = "sensors/+/resend"

    /// Cleaned readings: `cleaned/<sensor_id>/<measurement>`.
    public static func cleaned(_ sensorID: String, _ measurement: String = defaultMeasurement) -> String {
        "cleaned/\(sensorID)/\(measurement)"
    }
    public static let cleanedFilter = "cleaned/#"

    /// A sensor's last value, retained: `latest/<sensor_id>/<measurement>` (the newest cleaned
    /// reading by `ts`, for consumers that read only the current value).
    public static func latest(_ sensorID: String, _ measurement: String = defaultMeasurement) -> String {
        "latest/\(sensorID)/\(measurement)"
    }
    public static let latestFilter = "latest/#"

    /// Dead letters: `dlq/<sensor_id>/<measurement>`, or `dlq/_invalid/temperature` when no valid
    /// sensor id could be read from the topic.
    public static func deadLetter(_ sensorID: String, _ measurement: String = defaultMeasurement) -> String {
        "dlq/\(sensorID)/\(measurement)"
    }
    public static let invalidDeadLetter = "dlq/_invalid/temperature"

    /// Input topics longer than this are cut to it before they are journaled (no valid sensor
    /// topic comes close); a dead letter of one says `"topic_truncated":true`.
    public static let maxJournaledTopicBytes = 4096

    /// Aggregate windows: `aggregates/<sensor_id>/<measurement>/<window>` (`60s`).
    public static func aggregate(_ sensorID: String, _ measurement: String = defaultMeasurement, window: String) -> String {
        "aggregates/\(sensorID)/\(measurement)/\(window)"
    }

    /// A sensor's retained state (`live`, `stale`, `expired`): `gateway/<gateway_id>/sensors/<sensor_id>`
    /// for its temperature, `.../<sensor_id>/<measurement>` for another measurement's stream.
    public static func sensorState(gateway: String, sensor: String, measurement: String = defaultMeasurement) -> String {
        measurement == defaultMeasurement ? "gateway/\(gateway)/sensors/\(sensor)" : "gateway/\(gateway)/sensors/\(sensor)/\(measurement)"
    }

    /// The gateway's retained status (`online`, `offline`): `gateway/<gateway_id>/status`.
    public static func gatewayStatus(_ gatewayID: String) -> String { "gateway/\(gatewayID)/status" }

    /// Every gateway's status, for seeing the others: `gateway/+/status`.
    public static let gatewayStatusFilter = "gateway/+/status"

    /// The gateway id of a `gateway/<gateway_id>/status` topic, if it is one.
    public static func gateway(ofStatus topic: String) -> String? {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "gateway", parts[2] == "status", !parts[1].isEmpty else { return nil }
        return String(parts[1])
    }

    /// mosquitto's own count of the messages it dropped because a client's queue or in-flight
    /// limit was full (`max_queued_messages`, `max_queued_bytes`), for every client since the
    /// broker started; retained, refreshed every `sys_interval`. Other brokers do not publish it.
    public static let brokerDroppedMessages = "$SYS/broker/publish/messages/dropped"

    /// The start-up's own marker, `gateway/<gateway_id>/latest-read`: published by the gateway to
    /// itself after subscribing to the retained `latest/` values, it arrives behind them, so the
    /// reading ends there instead of after a quiet half second (`BrokerLatest`).
    public static func latestReadMarker(_ gatewayID: String) -> String { "gateway/\(gatewayID)/latest-read" }

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

extension Topics {
    /// The shapes of every topic the gateway itself publishes on (nil: a level that varies), for
    /// refusing a readings filter that would take the gateway's own output as input (a filter of
    /// `dlq/+/temperature` dead-lettered its own dead letters, about 20 a second from one message).
    static let gatewayOutputShapes: [[String?]] = [
        ["cleaned", nil, nil], ["latest", nil, nil], ["dlq", nil, nil], ["sensors", nil, "resend"],
        ["aggregates", nil, nil, nil], ["gateway", nil, "sensors", nil], ["gateway", nil, "sensors", nil, nil],
        ["gateway", nil, "status"], ["gateway", nil, "replay"],
    ]

    /// The gateway output topic a subscription `filter` (MQTT wildcards `+` and `#`) would also
    /// receive, described for an error message; nil when it receives none of them.
    public static func gatewayOutputOverlapping(_ filter: String) -> String? {
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if let first = levels.first, first == "replay" || first == "+" && levels.count >= 2 || first == "#" {
            return "replay answers (replay/...)"
        }
        for shape in gatewayOutputShapes {
            var overlaps = true
            for (i, level) in levels.enumerated() {
                if level == "#" { break }
                guard i < shape.count else { overlaps = false; break }
                if level != "+", let fixed = shape[i], fixed != level { overlaps = false; break }
                if i == levels.count - 1 && levels.count != shape.count { overlaps = false }
            }
            if overlaps { return shape.map { $0 ?? "+" }.joined(separator: "/") }
        }
        return nil
    }
}

extension Topics {
    /// Whether some topic matches both subscription filters `a` and `b` (MQTT wildcards `+` for
    /// one level, `#` for the rest, including none): two gateways reading overlapping filters
    /// both clean the sensors in the overlap.
    public static func filtersOverlap(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/", omittingEmptySubsequences: false)
        let y = b.split(separator: "/", omittingEmptySubsequences: false)
        var i = 0
        while i < x.count && i < y.count {
            if x[i] == "#" || y[i] == "#" { return true }
            if x[i] != "+" && y[i] != "+" && x[i] != y[i] { return false }
            i += 1
        }
        if x.count == y.count { return true }
        // `a/#` also matches `a`: the longer one's next level is its last and is `#`.
        let longer = x.count > y.count ? x : y
        return longer.count == i + 1 && longer[i] == "#"
    }
}
