import Wire

/// A quantity the sensors report besides temperature (`measurement.<name>.<setting>` in the
/// config file): humidity, pressure, vibration, flow. Its readings arrive on the topic filter
/// with its last level set to the name (`sensors/+/humidity`), carry the value under the name
/// or `value`, and go out as their own streams (a stream is sensor, measurement and boot) on
/// `cleaned/<sensor>/<name>` with the value under the name and the `unit`.
///
/// Temperature is always there, set by the gateway-wide settings (`valid-min`, `fill`, ...):
/// its topics and payloads stay as they were, without a `unit` field.
public struct MeasurementDefinition: Sendable, Codable, Equatable {
    /// The topic level and payload field: 1-32 characters of `a-z 0-9 _ -`.
    public var name: String
    /// Shown beside values (`%RH`, `bar`); in every cleaned message of the measurement.
    public var unit: String
    public var validMin: Double
    public var validMax: Double
    /// nil: the gateway-wide `fill` and `max-fill`.
    public var fill: FillMethod?
    public var maxFill: UInt64?
    /// Other names its firmware gives the JSON fields (`measurement.<name>.json-fields`); nil:
    /// the contract's names and the measurement's own.
    public var jsonFields: JSONFieldNames?
    /// How long its streams wait for a missing reading (`measurement.<name>.reorder-window-ms`),
    /// and how long their estimates may still be restated (`late-horizon-s`, in ms); nil: the
    /// gateway-wide settings. A fast vibration probe and a slow tank level need not wait alike.
    public var reorderWindowMs: Int64?
    public var lateHorizonMs: Int64?
    /// The width of its streams' aggregate windows (`measurement.<name>.aggregate-window-s`, in
    /// ms; a topic level, so a change takes a restart); nil: the gateway-wide one.
    public var aggregateWindowMs: Int64?

    public init(
        name: String, unit: String, validMin: Double, validMax: Double, fill: FillMethod? = nil, maxFill: UInt64? = nil,
        jsonFields: JSONFieldNames? = nil
    ) {
        self.jsonFields = jsonFields
        self.name = name
        self.unit = unit
        self.validMin = validMin
        self.validMax = validMax
        self.fill = fill
        self.maxFill = maxFill
    }

    /// Names the gateway cannot take for a measurement: the topic levels of its own messages,
    /// and the members a cleaned message carries beside the value (a measurement named `ts` or
    /// `unit` would write that member twice). Names ending `_gap` are refused too: an export's
    /// line protocol puts a measurement's gaps in `<name>_gap`.
    public static let reservedNames: Set<String> = [
        Topics.defaultMeasurement, "resend", "value", "sensor_id", "seq", "ts", "status", "quality", "boot", "raw", "reason", "method",
        "supersedes", "unit", "from_seq", "to_seq", "from_ts", "to_ts", "measurement",
        // `dlq/<id>/sparkplug` carries whole Sparkplug messages' dead letters (found black-box).
        "sparkplug",
    ]

    /// Whether `name` can name a measurement (topic level and JSON field alike).
    public static func isValidName(_ name: String) -> Bool {
        (1...32).contains(name.utf8.count) && !reservedNames.contains(name) && !name.hasSuffix("_gap")
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }
}
