/// Learns a sensor's reading period: the median gap between receive times of its recent readings.
struct PeriodEstimator: Codable, Sendable {
    static let capacity = 16
    private var intervals: [Int64] = []
    private var next = 0
    private var lastReceipt: Int64?

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
    }

    /// The median interval, once one is known.
    var period: Int64? {
        guard !intervals.isEmpty else { return nil }
        return intervals.sorted()[intervals.count / 2]
    }
}
