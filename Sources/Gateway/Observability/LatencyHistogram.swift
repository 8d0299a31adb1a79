/// A Prometheus histogram of durations with fixed buckets, kept by the service loop and read
/// through status snapshots (a value type: copying it is the snapshot).
struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, from a millisecond to a minute.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// Observations per bucket (not cumulative); the last slot counts those above every bound.
    private(set) var counts = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    private(set) var sumSeconds = 0.0
    private(set) var count: UInt64 = 0

    mutating func record(microseconds: Int64) {
        let seconds = Double(max(0, microseconds)) / 1_000_000
        let slot = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        counts[slot] += 1
        sumSeconds += seconds
        count += 1
    }

    /// The exposition lines of histogram `name` (cumulative `_bucket`s, `_sum`, `_count`).
    func lines(_ name: String) -> String {
        var out = ""
        var cumulative: UInt64 = 0
        for (i, bound) in Self.bounds.enumerated() {
            cumulative += counts[i]
            out += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{le=\"+Inf\"} \(count)\n\(name)_sum \(sumSeconds)\n\(name)_count \(count)\n"
        return out
    }
}
