/// Learns a sensor's reading period: the median gap between receive times of its recent readings.
///
/// Readings delivered bunched say nothing of the rhythm: a queue read at once (a restart's
/// backlog, a reconnecting sensor's queue, a burst of resend answers) arrives milliseconds apart
/// though the readings' own times lie seconds apart. A gap between receipts under a quarter of
/// the gap between the readings' `ts` is not learnt (found black-box: after a restart with a
/// backlog, a 1 Hz sensor's period fell to a few milliseconds, so it went stale after 4 s of
/// silence, its floor, and was sent an open-ended resend request). A reading stamped before the
/// one received last (a swapped pair, a resend answer, a late message restating a fill) says
/// nothing of the rhythm at all, however long after it came (found black-box, 44th review: a
/// new stream whose first two readings came swapped 1 ms apart learnt a 1 ms period and went
/// stale after two reorder windows, with an open-ended resend request; 72nd review: a late
/// message 3 s after the last taught a stream whose readings came bunched a 3 s period, and it
/// went stale 3 s later).
struct PeriodEstimator: Codable, Sendable {
    static let capacity = 16
    private var intervals: [Int64] = []
    private var next = 0
    private var lastReceipt: Int64?
    /// The `ts` of the reading received last (nil in snapshots from before it was kept).
    private var lastTs: Int64?
    /// The median, recomputed when a new interval arrives.
    private(set) var period: Int64?

    mutating func observe(_ receivedAt: Int64, ts: Int64) {
        defer {
            lastReceipt = receivedAt
            lastTs = ts
        }
        guard let last = lastReceipt, receivedAt > last else { return }
        let interval = receivedAt - last
        if let lastTs, ts < lastTs || interval < (ts &- lastTs) / 4 { return }
        if intervals.count < PeriodEstimator.capacity {
            intervals.append(interval)
        } else {
            intervals[next] = interval
            next = (next + 1) % PeriodEstimator.capacity
        }
        // Re-sorting 16 numbers only when the median could have moved keeps this cheap.
        if period != interval { period = Self.median(of: intervals) }
    }

    /// The middle value (the upper one of an even count), sorted on the stack: `sorted()` would
    /// allocate an array for every reading.
    static func median(of values: [Int64]) -> Int64 {
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: values.count) { storage in
            var buffer = storage
            _ = buffer.initialize(fromContentsOf: values)
            buffer.sort()
            return buffer[values.count / 2]
        }
    }
}
