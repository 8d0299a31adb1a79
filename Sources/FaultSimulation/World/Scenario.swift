import DeterministicRandom
import Journal
import Recovery

/// The shape of one simulated world: its sensors, network, journal and the rates of every
/// fault. `Scenario.drawn(seed:)` derives one from a seed, so a seed alone reproduces a run;
/// tests adjust a drawn scenario (a "knob") to aim at one finding.
public struct Scenario: Sendable {
    /// Steps of the faulty phase, then quiet steps (no new faults, outages end) so every
    /// obligation can be met.
    public var steps = 1500
    public var drainSteps = 700
    /// Simulated milliseconds per step.
    public var stepMs: Int64 = 100

    /// The fleet, the engine's settings (the gateway's configuration), the network and the
    /// rates of the gateway's, clock's and disk's faults.
    public var sensors: [SensorProfile] = []
    public var engine = EngineConfiguration()
    public var network = NetworkProfile()
    public var faults = FaultRates()

    /// The journal: `segmentCount` segments within `journalBytes`.
    public var journalBytes = 16 * 32 * 1024
    public var segmentCount = 16
    /// The journal's fsync mode (the gateway's `--fsync`) and how often it syncs with `interval`
    /// (a timer here, where the gateway's `JournalFlusher` syncs as soon as the last sync ended).
    public var fsync: FsyncMode = .interval
    public var syncIntervalMs: Int64 = FsyncMode.defaultIntervalMs

    /// The broker's persistent-session queue for the gateway (mosquitto's `max_queued_messages`):
    /// beyond it new messages are dropped while the gateway is away or paused.
    public var brokerQueueLimit = 1000
    /// Publications in flight to the broker at once (the gateway's `max-in-flight`).
    public var maxInFlight = 250
    /// Messages the input connection takes per step (one read of the socket).
    public var readsPerStep = 200

    /// An acknowledged reading must reach the consumers within this much gateway running time.
    public var latencyBoundMs: Int64 {
        6 * (engine.measurements ?? []).reduce(engine.reorderWindowMs) { Swift.max($0, $1.reorderWindowMs ?? 0) } + 20_000
    }
    /// Nothing is run or journaled for this long while work waits (at the broker or in the
    /// pipeline): a wedge. Shorter than `latencyBoundMs`, so a wedge is named as one.
    public var wedgeBoundMs: Int64 = 20_000
    /// Whether a reading older than its stream's first published seq must come out too (see
    /// `InvariantChecker.strictStreamStart`).
    public var strictStreamStart = true

    /// An empty world (no sensors); see `drawn(seed:)`.
    public init() {}

    /// A world drawn from `seed`: 2-6 sensors with varied periods and buffers, a journal from
    /// 64 KiB to 1 MiB, and every fault kind at a rate drawn per seed.
    public static func drawn(seed: UInt64) -> Scenario {
        var rng = SplitMix64(seed: seed ^ 0x5CE4_A410)
        var s = Scenario()
        let count = rng.int(2...6)
        for i in 0..<count { s.sensors.append(SensorProfile.drawn(index: i, rng: &rng)) }
        s.engine.gatewayID = "sim"
        s.engine.maxFill = [40, 200, 600][rng.int(0...2)]
        s.engine.resetThreshold = [1000, 1000, 300][rng.int(0...2)]
        s.engine.reorderWindowMs = [500, 1000, 2000][rng.int(0...2)]
        s.engine.futureToleranceMs = 86_400_000
        s.engine.sensorRetentionMs = 86_400_000
        if rng.chance(0.3) { s.engine.maxSensors = max(1, count - rng.int(0...2)) }
        s.journalBytes = journalSizes[rng.int(0...3)]
        s.fsync = [FsyncMode.interval, .interval, .always][rng.int(0...2)]
        s.brokerQueueLimit = [1000, 300, 100_000][rng.int(0...2)]
        s.network = NetworkProfile.drawn(rng: &rng)
        s.faults = FaultRates.drawn(rng: &rng)
        // Drawn apart, so the draws above (every world drawn before this fault existed) stay.
        var later = SplitMix64(seed: seed ^ 0x5441_494C)
        s.faults.tailCut = [0, 0, 0.1][later.int(0...2)]
        return s
    }

    /// This world with humidity declared (in temperature's range, so the checker's range holds
    /// for both) and some of its sensors after the first made humidity streams of the sensor
    /// before them: two streams under one sensor id, each with its own seqs, gaps and resend
    /// requests. Drawn from `seed` apart from `drawn(seed:)`, so drawn worlds stay as they were.
    public func withMeasurements(seed: UInt64) -> Scenario {
        var s = self
        var rng = SplitMix64(seed: seed ^ 0x4D45_4153_5552_45)
        s.engine.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: engine.validMin, validMax: engine.validMax)]
        for i in s.sensors.indices.dropFirst() where rng.chance(0.5) { s.sensors[i].measurement = "humidity" }
        return s
    }

    /// This scenario with the gateway's input connection lost now and then (`FaultRates.inputOutage`),
    /// drawn from a stream of its own, so the rest of the world is drawn as without them.
    public func withInputOutages(seed: UInt64) -> Scenario {
        var s = self
        var rng = SplitMix64(seed: seed ^ 0x494E_5055_5420)
        s.faults.inputOutage = [0.002, 0.005, 0.01][rng.int(0...2)]
        s.faults.inputOutageSteps = rng.chance(0.5) ? 5...50 : 50...150
        return s
    }

    /// This scenario with the journal resized now and then at a restart (`FaultRates.resize`), to
    /// one of the drawn worlds' sizes, some resizes interrupted; drawn from a stream of its own,
    /// so the rest of the world is drawn as without them.
    public func withResizes(seed: UInt64) -> Scenario {
        var s = self
        var rng = SplitMix64(seed: seed ^ 0x5245_5349_5A45)
        s.faults.resize = [0.3, 0.6, 1.0][rng.int(0...2)]
        s.faults.resizeInterrupted = [0, 0.2, 0.5][rng.int(0...2)]
        // Restarts to resize at: crashes, whatever the drawn world's rate.
        s.faults.crash = max(s.faults.crash, 0.002)
        return s
    }

    /// The journal sizes a world is drawn with (and resized to).
    static let journalSizes = [64, 256, 512, 1024].map { $0 * 1024 }

    /// This scenario's humidity (`withMeasurements`) with a reorder window, late horizon and
    /// aggregate window of its own, drawn apart from the gateway-wide ones (from a stream of draws of its own, so the rest
    /// of the world is as `withMeasurements` draws it): its streams' windows close on their own
    /// deadlines, through restarts and reloads alike.
    public func withMeasurementWindows(seed: UInt64) -> Scenario {
        var s = self
        var rng = SplitMix64(seed: seed ^ 0x5749_4E44_4F57)
        for i in (s.engine.measurements ?? []).indices {
            s.engine.measurements?[i].reorderWindowMs = [250, 800, 3000][rng.int(0...2)]
            s.engine.measurements?[i].lateHorizonMs = [600_000, 7_200_000][rng.int(0...1)]
            s.engine.measurements?[i].aggregateWindowMs = [nil, 5_000, 120_000][rng.int(0...2)]
        }
        return s
    }

    /// This scenario without finding 8's trigger (`tailCut`, a segment's end lost at rest), the
    /// last finding to close (2026-12-05: aimed seeds 1-5,000 keep every guarantee). No finding
    /// is open; the CI budget runs drawn worlds with every trigger. This stays as it was so that
    /// the aimed worlds (`Scenario.aimed`) and the regression seeds built on it remain the
    /// worlds they failed in. The next finding's trigger goes here while its fix is under way.
    public func avoidingOpenFindings() -> Scenario {
        var s = self
        s.faults.tailCut = 0
        return s
    }
}

extension SplitMix64 {
    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool { p > 0 && nextUnit() < p }

    /// Uniform in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// Uniform in `range`.
    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
