/// The aggregate windows a sensor's window cap forced out (`AggregateWindows.evictOldest`),
/// each with when: a late reading landing in one, a restatement of a `gap` above all, is counted
/// in no window rather than opening it again at revision 0, which would contradict the revision
/// consumers hold (found black-box, 80th review: a gap over more windows than the cap, restated
/// in random order, published one window ten times at revision 0, each time counting one
/// reading). Kept for the late horizon (a restatement comes within it), at most `kept`.
struct EvictedWindows: Codable, Sendable, Equatable {
    struct Eviction: Codable, Sendable, Equatable {
        var start: Int64
        var at: Int64
    }

    /// Oldest eviction first.
    private var evictions: [Eviction] = []

    /// As many as the largest window cap: evictions beyond it are older than any window held.
    static let kept = 1024

    var isEmpty: Bool { evictions.isEmpty }

    /// The window starting at `start` was forced out at `now`.
    mutating func note(_ start: Int64, at now: Int64) {
        evictions.append(Eviction(start: start, at: now))
        if evictions.count > Self.kept { evictions.removeFirst(evictions.count - Self.kept) }
    }

    /// Whether the window starting at `start` was forced out within the late horizon.
    func contains(_ start: Int64) -> Bool { evictions.contains { $0.start == start } }

    /// Forgets evictions older than the late horizon: no restatement can reach them.
    mutating func prune(now: Int64, horizon: Int64) {
        evictions.removeFirst(evictions.prefix { now - $0.at > horizon }.count)
    }
}
