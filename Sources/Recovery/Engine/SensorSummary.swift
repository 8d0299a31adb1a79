/// What the status page and metrics show of one sensor.
public struct SensorSummary: Codable, Sendable, Equatable {
    /// One published reading, for the recent-readings plot.
    public struct Point: Codable, Sendable, Equatable {
        public var seq: UInt64
        public var ts: Int64
        public var value: Double
        public var quality: Quality
    }

    /// A publication flagged other than `ok` (corrected, synthetic, restated or gap) and when the
    /// engine made it: the receive time (epoch ms, the journal's timeline) of the message or
    /// tick that caused it, so "recent" is measured on the same clock as `lastSeen`.
    public struct Flagged: Codable, Sendable, Equatable {
        public var quality: Quality
        public var at: Int64
    }

    /// Points kept per sensor for the plot (at 24 bytes each: about 1.4 KB per sensor).
    public static let recentCapacity = 60

    public var sensorID: String
    public var lastSeq: UInt64?
    public var lastSeen: Int64 = 0
    public var stale = false
    /// What this sensor's stream has published: cleaned messages by quality, resend requests,
    /// rate-limited fills (the engine keeps the same totals over all sensors).
    public var output = OutputTotals()
    public var duplicates = 0
    public var deadLetters = 0
    /// The newest flagged publication, for the status page's "recently corrected or filled"
    /// (lifetime counts cannot say *when*). In snapshots, so a restart keeps it; nil until the
    /// first one, and when restored from a snapshot written before it existed.
    public private(set) var lastFlagged: Flagged?
    /// The seqs the sensor's stream is waiting for right now: an open gap, with later readings
    /// held until these arrive (a resend was asked for) or the reorder window closes. Live
    /// state, set only on the copies `RecoveryEngine.summaries` hands out; never in snapshots.
    public internal(set) var missing: ClosedRange<UInt64>?
    /// The quality of a flagged publication made during the engine call in progress, until the
    /// engine stamps it with that call's time (`stampFlagged`).
    private var unstampedFlag: Quality?
    /// The recent points, shared with the engine (see `RecentPoints`); not in snapshots: they
    /// only feed the status page's plot (which starts empty after a restart), and they were most
    /// of a snapshot's size.
    private var recentPoints = RecentPoints()

    /// The stream's measurement when it is not temperature (nil: temperature).
    public var measurement: String?

    enum CodingKeys: String, CodingKey {
        case sensorID, measurement, lastSeq, lastSeen, stale, output, duplicates, deadLetters, lastFlagged
    }

    /// The most recent published readings, oldest first.
    public var recent: [Point] { recentPoints.points }

    init(sensorID: String, measurement: String? = nil) {
        self.sensorID = sensorID
        self.measurement = measurement
    }

    /// The value as received of the last reading published `corrected` (out of range), with
    /// its seq: the status page shows it beside the estimate, so an operator can tell a probe
    /// reading 85 °C from a broken one (found black-box, 87th review: the row showed only the
    /// estimate, 52 °C, for a sensor sending 85.5 three times in four). Not in snapshots.
    public private(set) var lastCorrected: (seq: UInt64, raw: Double)?

    mutating func published(_ quality: Quality, seq: UInt64, ts: Int64, value: Double?, raw: Double? = nil) {
        output.countCleaned(quality)
        if quality != .ok { unstampedFlag = quality }
        if quality == .corrected, let raw { lastCorrected = (seq, raw) }
        guard let value else { return }
        recentPoints.append(seq: seq, ts: ts, value: value, quality: quality)
    }

    /// Called by the engine after each call into the sensor's state, with that call's time:
    /// records the newest flagged publication it made, if any.
    mutating func stampFlagged(at now: Int64) {
        guard let quality = unstampedFlag else { return }
        lastFlagged = Flagged(quality: quality, at: now)
        unstampedFlag = nil
    }

    /// Equal counts and equal recent points.
    public static func == (a: SensorSummary, b: SensorSummary) -> Bool {
        a.sensorID == b.sensorID && a.lastSeq == b.lastSeq && a.lastSeen == b.lastSeen && a.stale == b.stale && a.output == b.output
            && a.duplicates == b.duplicates && a.deadLetters == b.deadLetters && a.lastFlagged == b.lastFlagged && a.missing == b.missing
            && a.recent == b.recent
    }
}
