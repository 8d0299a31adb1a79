/// What the status page and metrics show of one sensor.
public struct SensorSummary: Codable, Sendable, Equatable {
    /// One published reading, for the recent-readings plot.
    public struct Point: Codable, Sendable, Equatable {
        public var seq: UInt64
        public var ts: Int64
        public var value: Double
        public var quality: Quality
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
    /// The recent points, shared with the engine (see `RecentPoints`); not in snapshots: they
    /// only feed the status page's plot (which starts empty after a restart), and they were most
    /// of a snapshot's size.
    private var recentPoints = RecentPoints()

    enum CodingKeys: String, CodingKey {
        case sensorID, lastSeq, lastSeen, stale, output, duplicates, deadLetters
    }

    /// The most recent published readings, oldest first.
    public var recent: [Point] { recentPoints.points }

    init(sensorID: String) { self.sensorID = sensorID }

    mutating func published(_ quality: Quality, seq: UInt64, ts: Int64, value: Double?) {
        output.countCleaned(quality)
        guard let value else { return }
        recentPoints.append(seq: seq, ts: ts, value: value, quality: quality)
    }

    /// Equal counts and equal recent points.
    public static func == (a: SensorSummary, b: SensorSummary) -> Bool {
        a.sensorID == b.sensorID && a.lastSeq == b.lastSeq && a.lastSeen == b.lastSeen && a.stale == b.stale && a.output == b.output
            && a.duplicates == b.duplicates && a.deadLetters == b.deadLetters && a.recent == b.recent
    }
}
