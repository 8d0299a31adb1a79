/// The simulated clocks: true time (what the sensors' clocks read, and event times), the
/// gateway's wall clock (true time plus an offset that NTP-like steps move both ways) and its
/// monotonic clock (only forward, pacing syncs, checkpoints and snapshots). Mirrors the
/// gateway's `Clocks` seam; nothing reads a real clock.
struct SimClock {
    /// Epoch ms the world starts at (late 2026).
    static let start: Int64 = 1_795_660_000_000

    private(set) var trueTime = SimClock.start
    private(set) var monotonic: Int64 = 1_000_000
    /// Gateway wall clock minus true time.
    private(set) var wallOffset: Int64 = 0
    /// Monotonic time the gateway has been running (obligations are timed in it).
    private(set) var upTime: Int64 = 0

    var wall: Int64 { trueTime + wallOffset }

    mutating func advance(by ms: Int64, gatewayUp: Bool) {
        trueTime += ms
        monotonic += ms
        if gatewayUp { upTime += ms }
    }

    /// Steps the gateway's wall clock by `ms` (negative: back).
    mutating func step(by ms: Int64) { wallOffset += ms }
}
