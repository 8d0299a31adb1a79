/// Per-sensor tumbling windows over event time. A window closes (and is published) once the
/// sensor's released readings pass its end; a later change to a closed window (a restatement)
/// publishes it again with `revision + 1`. Closed windows are kept for the late horizon.
///
/// Estimated values are kept individually (they are few) so a restatement can take one out
/// exactly; real values only as count, sum, min and max.
struct AggregateWindows: Codable, Sendable {
    struct Estimate: Codable, Sendable {
        var seq: UInt64
        var value: Double
        var quality: Quality
    }

    struct Window: Codable, Sendable {
        var start: Int64
        var okCount = 0
        var okSum = 0.0
        var okMin = Double.infinity
        var okMax = -Double.infinity
        var estimates: [Estimate] = []
        var revision = 0
        var closedAt: Int64?

        mutating func addReal(_ v: Double) {
            okCount += 1
            okSum += v
            okMin = Swift.min(okMin, v)
            okMax = Swift.max(okMax, v)
        }
    }

    private(set) var windows: [Window] = []
    private var maxReleasedTs = Int64.min
    /// The smallest end among open windows: no window closes before released readings reach it.
    private var earliestOpenEnd = Int64.max

    /// Adds a released reading; `replacing` says it replaces an earlier estimate for its seq.
    /// Returns windows that must be published now (closed by this reading, or revised).
    mutating func add(ts: Int64, seq: UInt64, value: Double, quality: Quality, replacing: Bool,
                      now: Int64, width: Int64) -> [Window] {
        let start = AggregateWindows.floor(ts, width)
        // Readings mostly land in the newest window: search from the end.
        let i: Int
        if let found = windows.lastIndex(where: { $0.start == start }) {
            i = found
        } else {
            windows.append(Window(start: start))
            earliestOpenEnd = min(earliestOpenEnd, start + width)
            i = windows.count - 1
        }
        if replacing, let e = windows[i].estimates.firstIndex(where: { $0.seq == seq }) {
            windows[i].estimates.remove(at: e)
        }
        switch quality {
        case .ok, .restated: windows[i].addReal(value)
        case .corrected, .synthetic: windows[i].estimates.append(Estimate(seq: seq, value: value, quality: quality))
        case .gap: break
        }
        var due: [Window] = []
        if windows[i].closedAt != nil {
            windows[i].revision += 1
            due.append(windows[i])
        }
        if ts > maxReleasedTs {
            maxReleasedTs = ts
            if ts >= earliestOpenEnd {
                let closing = windows.indices.filter { windows[$0].closedAt == nil && windows[$0].start + width <= ts }
                    .sorted { windows[$0].start < windows[$1].start }
                for c in closing {
                    windows[c].closedAt = now
                    due.append(windows[c])
                }
                earliestOpenEnd = windows.lazy.filter { $0.closedAt == nil }.map { $0.start + width }.min() ?? .max
            }
        }
        return due
    }

    /// Forgets closed windows older than the late horizon: they can no longer be restated.
    mutating func prune(now: Int64, horizon: Int64) {
        windows.removeAll { w in w.closedAt.map { now - $0 > horizon } ?? false }
    }

    static func floor(_ ts: Int64, _ width: Int64) -> Int64 {
        let q = ts / width
        return (ts % width < 0 ? q - 1 : q) * width
    }
}
