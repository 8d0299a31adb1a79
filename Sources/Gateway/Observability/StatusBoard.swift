import Journal
import Recovery
import Synchronization

/// What the gateway shows of itself, as of the service loop's last update (every ~0.5 s).
public struct GatewayStatusSnapshot: Sendable {
    /// True until the service loop first reports: the state is still being restored from the
    /// snapshot and the journal (the HTTP endpoint is up first and says so).
    public var restoring = true
    public var connected = false
    public var subscriptionRefused = false
    /// The broker acknowledged the readings subscription on the current connection.
    public var subscribed = false
    /// Readings subscriptions acknowledged since start (one per connection).
    public var readingsSubscriptions = 0
    public var journalWritable = true
    public var counters = EngineCounters()
    public var sensors: [SensorSummary] = []
    public var publishedByKind: [String: Int] = [:]
    public var journal = Journal.Statistics()
    public var journalDurableSeq: UInt64 = 0
    /// Room left in the journal without reclaiming unfinished work, and its whole size.
    public var journalAppendableBytes = 0
    public var journalCapacityBytes = 0
    /// The time of the journal's oldest records (epoch ms), and its last seq.
    public var journalOldestTime: Int64?
    public var journalLastSeq: UInt64 = 0
    /// Why input from the broker is paused, when it is.
    public var inputPause: String?
    var ingest = IngestJournal.Statistics()
    var snapshots = SnapshotWriter.Status()
    var runtime = RuntimeCounters()
    public var checkpoint: UInt64 = 0
    public var outboundWaiting = 0
    public var outboundInFlight = 0
    public var startedAt: Int64 = 0
    public init() {}
}

/// Hands the latest status from the service loop to the HTTP thread, and keeps the loop's
/// heartbeat: the moment its last turn completed, for the watchdog behind `/healthz`.
public final class StatusBoard: Sendable {
    private let current = Mutex(GatewayStatusSnapshot())
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
