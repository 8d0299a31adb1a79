/// Totals since the engine started (or since the snapshot it was restored from).
public struct EngineCounters: Codable, Sendable, Equatable {
    public var received = 0
    public var duplicates = 0
    public var deadLetters = 0
    /// Sensors forgotten after the retention period.
    public var expired = 0
    /// Sensors forgotten early, at the `max-sensors` cap, to make room for a new id.
    public var evicted = 0
    /// Dead letters by reason code (`malformed_json`, `bad_value:ts`, `rate_limited`, ...).
    public var deadLettersByReason: [String: Int] = [:]
    /// Readings whose future-tolerance check was skipped because their receive time was before
    /// `RecoveryEngine.clockFloorMs` (the gateway's clock not set yet).
    public var futureCheckSkipped = 0
    /// Readings dead-lettered `bad_value:ts` for a `ts` more than `future-tolerance-s` ahead of
    /// their receive time: a sensor's clock ahead, or the gateway's behind.
    public var aheadOfClock = 0
    /// The stream (`<sensor_id>` or `<sensor_id>/<measurement>`) of the last reading counted in
    /// `aheadOfClock`, and how far (ms) its `ts` was ahead of its receipt: the warning names one
    /// sensor to look at, and one far ahead is a sensor's clock where one just past the
    /// tolerance at every sensor is the box's.
    public var lastAheadOfClock: AheadOfClock?
    /// Cleaned messages by quality, resend requests and rate-limited fills.
    public var output = OutputTotals()
    /// The Sparkplug input's births, deaths, rebirth requests and metrics not read.
    public var sparkplug = SparkplugCounters()
    public init() {}

    public init(from decoder: any Decoder) throws {
        // Tolerant of snapshots written before a counter existed.
        let c = try decoder.container(keyedBy: CodingKeys.self)
        received = try c.decodeIfPresent(Int.self, forKey: .received) ?? 0
        duplicates = try c.decodeIfPresent(Int.self, forKey: .duplicates) ?? 0
        deadLetters = try c.decodeIfPresent(Int.self, forKey: .deadLetters) ?? 0
        expired = try c.decodeIfPresent(Int.self, forKey: .expired) ?? 0
        evicted = try c.decodeIfPresent(Int.self, forKey: .evicted) ?? 0
        deadLettersByReason = try c.decodeIfPresent([String: Int].self, forKey: .deadLettersByReason) ?? [:]
        futureCheckSkipped = try c.decodeIfPresent(Int.self, forKey: .futureCheckSkipped) ?? 0
        aheadOfClock = try c.decodeIfPresent(Int.self, forKey: .aheadOfClock) ?? 0
        lastAheadOfClock = try c.decodeIfPresent(AheadOfClock.self, forKey: .lastAheadOfClock)
        output = try c.decodeIfPresent(OutputTotals.self, forKey: .output) ?? OutputTotals()
        sparkplug = try c.decodeIfPresent(SparkplugCounters.self, forKey: .sparkplug) ?? SparkplugCounters()
    }
}

/// One reading dead-lettered for a `ts` ahead of the gateway's clock (`EngineCounters.lastAheadOfClock`).
public struct AheadOfClock: Codable, Sendable, Equatable {
    /// `<sensor_id>`, or `<sensor_id>/<measurement>` for a measurement other than temperature.
    public var stream: String
    /// How far its `ts` was ahead of its receive time, in milliseconds.
    public var aheadMs: Int64
}
