import Journal
import Recovery

/// What the gateway shows of itself, as of the service loop's last update (every ~0.5 s).
public struct GatewayStatusSnapshot: Sendable {
    /// True until the service loop first reports: the state is still being restored from the
    /// snapshot and the journal (the HTTP endpoint is up first and says so).
    public var restoring = true
    public var connected = false
    public var subscriptionRefused = false
    /// The broker acknowledged the readings subscription on the current connection.
    public var subscribed = false
    /// The broker kept the input connection's session (`session_present`): the previous run's
    /// subscription is in force while this connection's is acknowledged.
    public var inputSessionPresent = false
    /// Why the last attempt of each broker connection not up failed, by connection
    /// ("input: ..."), for `/healthz`.
    public var connectFailures: [String] = []
    /// Readings subscriptions acknowledged since start (one per connection).
    public var readingsSubscriptions = 0
    /// False once a journal write or sync failed (the gateway stops on it).
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
    /// The gateway's own Sparkplug edge node (nil: `sparkplug-edge-node` unset).
    var sparkplugOutput: SparkplugEdgeNodeOutput.Counters?
    public var checkpoint: UInt64 = 0
    public var outboundWaiting = 0
    public var outboundInFlight = 0
    /// Since when (monotonic ms) publications have been in flight without one acknowledged: nil
    /// while the broker keeps acknowledging, or nothing is in flight.
    var outboundUnansweredSince: Int64?
    public var startedAt: Int64 = 0
    /// Wall clock minus the journal's timeline (negative after a backward step of the wall
    /// clock, which the timeline does not follow).
    public var clockOffsetMs: Int64 = 0
    /// When the newest inbound message was received, on the journal's timeline (nil before one).
    public var lastReceivedAt: Int64?
    /// The same moment on the monotonic clock (ms; nil before one), and the gateway's start on
    /// it: how long input has been silent, whatever the wall clock did meanwhile.
    public var lastReceivedMonotonic: Int64?
    public var startedMonotonic: Int64 = 0
    /// What opening the journal found damaged (and salvaged or set aside); empty when clean.
    public var journalDamage: [String] = []
    /// Whether `journalDamage` names damage to the journal itself, not only the broker's output
    /// found past it (`JournalRestore.isOutputAheadOnly`): `sensor_gateway_journal_corruption`.
    public var journalCorrupt: Bool { journalDamage.contains { !JournalRestore.isOutputAheadOnly($0) } }
    /// Set while the journal's files are no longer where they were opened (removed or replaced).
    public var journalMissing: String?
    /// The journal can take writes: none failed, and its files are where they were opened. What
    /// `/healthz`'s `journal_writable`, the metric and the status page all say.
    public var journalUsable: Bool { journalWritable && journalMissing == nil }
    public init() {}
}
