#if canImport(Glibc)
    import Glibc
#endif

/// The gateway's two clocks. The engine never reads either: times reach it through journaled
/// records, which is what makes replay exact.
enum Clocks {
    /// Wall-clock epoch milliseconds (receive times, as seen by operators and sensors).
    static func epochMilliseconds() -> Int64 { read(CLOCK_REALTIME) }
    /// Milliseconds that only move forward (pacing syncs, snapshots and checkpoints).
    static func monotonicMilliseconds() -> Int64 { read(CLOCK_MONOTONIC) }
    /// The monotonic clock in microseconds, for latencies.
    static func monotonicMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    private static func read(_ id: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(id, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
