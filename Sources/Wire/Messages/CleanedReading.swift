/// A message on `cleaned/<sensor_id>/temperature` (docs/INTERFACE.md section 2), as consumers
/// read it. The gateway writes these with its fast writer, keys in the documented order; this
/// type is how the simulator's verifier, the tests and any Swift consumer read them back.
public struct CleanedReading: Codable, Sendable, Equatable, Hashable {
    /// The one quality type (`Wire.Quality`), by the name readers of this message know.
    public typealias Quality = Wire.Quality

    public var sensorID: String
    public var seq: UInt64
    public var ts: Int64
    /// The value: under `temperature`, or under the measurement's name (`measurement`). Absent
    /// on `gap` messages.
    public var temperature: Double?
    /// The measurement, when not temperature: the member the value was under.
    public var measurement: String?
    /// The measurement's unit (messages of measurements other than temperature).
    public var unit: String?
    /// Absent on `gap` messages.
    public var status: String?
    public var quality: Quality
    /// Present when the sensor sent one.
    public var boot: Int64?
    /// `corrected`: the value as sent and why it was replaced.
    public var raw: Double?
    public var reason: String?
    /// `synthetic`: how it was estimated (`linear`, `locf`, `distribution`).
    public var method: String?
    /// `restated`: the quality it replaces.
    public var supersedes: String?
    /// `gap`: the seqs (inclusive) and event times (exclusive bounds) of the span without data.
    public var fromSeq: UInt64?
    public var toSeq: UInt64?
    public var fromTs: Int64?
    public var toTs: Int64?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case sensorID = "sensor_id", seq, ts, temperature, unit, status, quality, boot, raw, reason, method, supersedes
        case fromSeq = "from_seq", toSeq = "to_seq", fromTs = "from_ts", toTs = "to_ts"
        case measurement
    }

    /// Any member name, for the value of a measurement other than temperature.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sensorID = try c.decode(String.self, forKey: .sensorID)
        seq = try c.decode(UInt64.self, forKey: .seq)
        ts = try c.decode(Int64.self, forKey: .ts)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        quality = try c.decode(Quality.self, forKey: .quality)
        boot = try c.decodeIfPresent(Int64.self, forKey: .boot)
        raw = try c.decodeIfPresent(Double.self, forKey: .raw)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        method = try c.decodeIfPresent(String.self, forKey: .method)
        supersedes = try c.decodeIfPresent(String.self, forKey: .supersedes)
        fromSeq = try c.decodeIfPresent(UInt64.self, forKey: .fromSeq)
        toSeq = try c.decodeIfPresent(UInt64.self, forKey: .toSeq)
        fromTs = try c.decodeIfPresent(Int64.self, forKey: .fromTs)
        toTs = try c.decodeIfPresent(Int64.self, forKey: .toTs)
        // A gap of another measurement names it.
        measurement = try c.decodeIfPresent(String.self, forKey: .measurement)
        // Another measurement: its value is the one member this type does not name, beside `unit`.
        if temperature == nil, unit != nil {
            let known = Set(CodingKeys.allCases.map(\.stringValue))
            let any = try decoder.container(keyedBy: AnyKey.self)
            if let key = any.allKeys.first(where: { !known.contains($0.stringValue) }), let v = try? any.decode(Double.self, forKey: key) {
                temperature = v
                measurement = key.stringValue
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sensorID, forKey: .sensorID)
        try c.encode(seq, forKey: .seq)
        try c.encode(ts, forKey: .ts)
        if let measurement {
            var any = encoder.container(keyedBy: AnyKey.self)
            try any.encodeIfPresent(temperature, forKey: AnyKey(stringValue: measurement))
        } else {
            try c.encodeIfPresent(temperature, forKey: .temperature)
        }
        try c.encodeIfPresent(unit, forKey: .unit)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encode(quality, forKey: .quality)
        try c.encodeIfPresent(boot, forKey: .boot)
        try c.encodeIfPresent(raw, forKey: .raw)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(method, forKey: .method)
        try c.encodeIfPresent(supersedes, forKey: .supersedes)
        try c.encodeIfPresent(fromSeq, forKey: .fromSeq)
        try c.encodeIfPresent(toSeq, forKey: .toSeq)
        try c.encodeIfPresent(fromTs, forKey: .fromTs)
        try c.encodeIfPresent(toTs, forKey: .toTs)
        if temperature == nil { try c.encodeIfPresent(measurement, forKey: .measurement) }
    }

    public init(sensorID: String, seq: UInt64, ts: Int64, temperature: Double?, status: String?, quality: Quality, boot: Int64? = nil) {
        self.sensorID = sensorID
        self.seq = seq
        self.ts = ts
        self.temperature = temperature
        self.status = status
        self.quality = quality
        self.boot = boot
    }

    /// The stream it belongs to: one sensor's readings of one measurement within one boot.
    public var stream: StreamKey { StreamKey(sensorID: measurement.map { "\(sensorID)/\($0)" } ?? sensorID, boot: boot) }

    /// The `reason` of a `gap` that stands in for publications the journal destroyed before the
    /// broker acknowledged them (they may or may not have reached the consumer).
    public static let journalDamaged = "journal_damaged"

    /// Whether this is a `gap` standing in for destroyed publications (`journalDamaged`).
    public var isJournalDamageGap: Bool { quality == .gap && reason == Self.journalDamaged }

    /// The seqs this message accounts for: its own, or a gap's whole span.
    public var coveredSeqs: ClosedRange<UInt64> {
        if quality == .gap, let from = fromSeq, let to = toSeq, from <= to { return from...to }
        return seq...seq
    }
}
