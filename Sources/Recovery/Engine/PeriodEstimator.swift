/// Learns a sensor's reading period: the median gap between receive times of its recent readings.
struct PeriodEstimator: Codable, Sendable {
    static let capacity = 16
    private var intervals: [Int64] = []
    private var next = 0
    private var lastReceipt: Int64?
    /// The median, recomputed when a new interval arrives.
    private(set) var period: Int64?

    mutating func observe(_ receivedAt: Int64) {
        defer { lastReceipt = receivedAt }
        guard let last = lastReceipt, receivedAt > last else { return }
        let interval = receivedAt - last
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
