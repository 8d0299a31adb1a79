/// Why an inbound message became a dead letter; `code` is the contract's `reason` text.
public enum RejectionReason: Error, Sendable, Equatable {
    case malformedJSON
    /// A CSV line that does not parse; the associated text names the column that failed
    /// (`seq`, `ts`, `value`, `status`, `boot`, or `extra` for a column beyond the configured ones).
    case malformedCSV(String)
    case missingField(String)
    case badType(String)
    case badValue(String)
    case outOfRange
    case invalidSensorID
    case sensorIDMismatch
    case payloadTooLarge
    case tooLate
    /// A new sensor id beyond the tracked-sensor limit.
    case tooManySensors
    /// A sender beyond its per-sensor epoch limit.
    case rateLimited
    /// A Sparkplug message the gateway cannot read (docs/SPARKPLUG.md): `malformed_payload`,
    /// `bad_topic`, `no_birth` (data from a node or device without a birth, held a minute for one
    /// that did not come), `unknown_metric`
    /// (a name or alias its birth did not declare), `duplicate_metric` (a name twice in a birth,
    /// or a metric twice in a message), `duplicate_alias` (an alias given to two names).
    case sparkplug(String)

    public var code: String {
        switch self {
        case .malformedJSON: "malformed_json"
        case .malformedCSV(let column): "malformed_csv:\(column)"
        case .missingField(let f): "missing_field:\(f)"
        case .badType(let f): "bad_type:\(f)"
        case .badValue(let f): "bad_value:\(f)"
        case .outOfRange: "out_of_range"
        case .invalidSensorID: "invalid_sensor_id"
        case .sensorIDMismatch: "sensor_id_mismatch"
        case .payloadTooLarge: "payload_too_large"
        case .tooLate: "too_late"
        case .tooManySensors: "too_many_sensors"
        case .rateLimited: "rate_limited"
        case .sparkplug(let what): "sparkplug:\(what)"
        }
    }
}
