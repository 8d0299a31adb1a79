import Journal
import Recovery
import Synchronization

/// Hands the latest status from the service loop to the HTTP thread, and keeps the loop's
/// heartbeat: the moment its last turn completed, for the watchdog behind `/healthz`.
public final class StatusBoard: Sendable {
    private let current = Mutex(GatewayStatusSnapshot())
    /// The gateway's metrics registry, which the service loop records into and `/metrics` renders.
    public let metrics = GatewayMetrics()
    /// How the HTTP endpoint stands against its configured address (`RebindingHTTPEndpoint`).
    public let http = HTTPBinding()
    /// Monotonic milliseconds of the last completed turn; 0 before the first.
    private let lastTurn = Atomic<Int64>(0)

    public init() {}
    public func update(_ s: GatewayStatusSnapshot) { current.withLock { $0 = s } }
    public var snapshot: GatewayStatusSnapshot { current.withLock { $0 } }

    /// The longest turn since start, in milliseconds: how long the loop has stalled at worst.
    private let longestTurn = Atomic<Int64>(0)

    /// Called by the service loop after each turn that began at `began` (monotonic ms); atomic
    /// stores, cheap enough for every turn.
    func turnCompleted(began: Int64) {
        let now = Clocks.monotonicMilliseconds()
        lastTurn.store(now, ordering: .relaxed)
        metrics.turnDuration.recordMilliseconds(now - began)
        if now - began > longestTurn.load(ordering: .relaxed) { longestTurn.store(now - began, ordering: .relaxed) }
    }

    /// The longest single turn of the service loop since start.
    public var longestTurnMs: Int64 { longestTurn.load(ordering: .relaxed) }

    /// How long ago the service loop last completed a turn; nil before it has started.
    public var loopAgeMs: Int64? {
        let last = lastTurn.load(ordering: .relaxed)
        return last == 0 ? nil : Clocks.monotonicMilliseconds() - last
    }
}
