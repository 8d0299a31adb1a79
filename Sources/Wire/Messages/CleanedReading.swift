/// A message on `cleaned/<sensor_id>/temperature` (docs/INTERFACE.md section 2), as consumers
/// read it. The gateway writes these with its fast writer, keys in the documented order; this
/// type is how the simulator's verifier, the tests and any Swift consumer read them back.
public struct CleanedReading: Codable, Sendable, Equatable, Hashable {
    /// The one quality type (`Wire.Quality`), by the name readers of this message know.
    public typealias Quality = Wire.Quality

    public var sensorID: String
    public var seq: UInt64
    public var ts: Int64
    /// Absent on `gap` messages.
    public var temperature: Double?
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

    enum CodingKeys: String, CodingKey {
        case sensorID = "sensor_id", seq, ts, temperature, status, quality, boot, raw, reason, method, supersedes
        case fromSeq = "from_seq", toSeq = "to_seq", fromTs = "from_ts", toTs = "to_ts"
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

    /// The stream it belongs to: one sensor's readings within one boot.
    public var stream: StreamKey { StreamKey(sensorID: sensorID, boot: boot) }

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
