/// A per-sensor allowance that refills with event-receipt time: what keeps one sender from
/// costing the others (new epochs, synthetic readings). Driven by the receive times fed to the
/// engine, never by a clock, so limits replay exactly.
struct TokenBucket: Codable, Sendable, Equatable {
    private var tokens: Double
    private var updatedAt: Int64?

    /// A full bucket.
    init(capacity: Double) { tokens = capacity }

    /// Takes `n` tokens at `now` if that many are there (after refilling at `perMinute`, up to
    /// `capacity`); takes nothing and returns false otherwise.
    mutating func take(_ n: Double, at now: Int64, capacity: Double, perMinute: Double) -> Bool {
        if let last = updatedAt, now > last {
            tokens = min(capacity, tokens + Double(now - last) * perMinute / 60_000)
        }
        updatedAt = max(updatedAt ?? now, now)
        guard tokens >= n else { return false }
        tokens -= n
        return true
    }
}
