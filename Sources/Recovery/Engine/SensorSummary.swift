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
    /// A point as kept: the value as a Float is plenty for a plot and makes it 24 bytes, not 32.
    private struct StoredPoint: Sendable, Equatable {
        var seq: UInt64
        var ts: Int64
        var value: Float
        var quality: Quality
    }

    /// The last `recentCapacity` points as a ring (`ringStart` is the oldest once full).
    private var ring: [StoredPoint] = []
    private var ringStart = 0

    /// The recent points are left out of snapshots: they only feed the status page's plot (which
    /// starts empty after a restart), and they were most of a snapshot's size.
    enum CodingKeys: String, CodingKey {
        case sensorID, lastSeq, lastSeen, stale, output, duplicates, deadLetters
    }

    /// The most recent published readings, oldest first.
    public var recent: [Point] {
        (ring[ringStart...] + ring[..<ringStart]).map { Point(seq: $0.seq, ts: $0.ts, value: Double($0.value), quality: $0.quality) }
    }

    init(sensorID: String) { self.sensorID = sensorID }

    mutating func published(_ quality: Quality, seq: UInt64, ts: Int64, value: Double?) {
        output.countCleaned(quality)
        guard let value else { return }
        let point = StoredPoint(seq: seq, ts: ts, value: Float(value), quality: quality)
        if ring.count < SensorSummary.recentCapacity {
            if ring.isEmpty { ring.reserveCapacity(SensorSummary.recentCapacity) }  // one allocation, not seven
            ring.append(point)
        } else {
            ring[ringStart] = point
            ringStart = (ringStart + 1) % SensorSummary.recentCapacity
        }
    }
}
