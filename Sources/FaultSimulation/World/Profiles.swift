import DeterministicRandom

/// How one simulated sensor behaves: its period, its resend buffer, whether it sends `boot`,
/// and the per-reading chances of its faults.
public struct SensorProfile: Sendable {
    /// Time between readings.
    public var periodMs: Int64 = 1000
    /// Readings kept for resend requests (0: it cannot resend).
    public var bufferSize = 500
    /// Whether its payloads carry `boot` (a sensor without one is told apart across reboots
    /// only by its seq falling back).
    public var sendsBoot = true
    /// The first seq it sends.
    public var firstSeq: UInt64 = 0
    /// Per reading: sent twice; held back and sent after the next; a value outside the valid
    /// range; a jump ahead of `jumpSize` seqs; a reboot; an outage of its connection.
    public var duplicate = 0.01
    public var reorder = 0.01
    public var outOfRange = 0.01
    public var jump = 0.0
    public var jumpSize: ClosedRange<UInt64> = 2...50
    public var reboot = 0.0
    public var outage = 0.0
    /// Outage lengths in readings.
    public var outageLength: ClosedRange<Int> = 5...50
    /// Silence (no readings measured either): the sensor is switched off, so it can be
    /// evicted at the `max-sensors` cap.
    public var silence = 0.0
    public var silenceMs: ClosedRange<Int64> = 61_000...90_000
    /// What it measures: nil for temperature; a name (`Scenario.withMeasurements`) for another
    /// measurement's stream, sent under the id of the sensor before it, so two streams share an id.
    public var measurement: String?

    /// The defaults above; `Scenario.drawn` draws varied ones.
    public init() {}

    static func drawn(index: Int, rng: inout SplitMix64) -> SensorProfile {
        var p = SensorProfile()
        p.periodMs = [50, 100, 250, 500, 1000, 2000][rng.int(0...5)]
        p.bufferSize = [0, 50, 500, 3000][rng.int(0...3)]
        p.sendsBoot = rng.chance(0.8)
        p.firstSeq = rng.chance(0.5) ? 0 : UInt64(rng.int(1...5000))
        p.duplicate = [0, 0.01, 0.05][rng.int(0...2)]
        p.reorder = [0, 0.01, 0.05][rng.int(0...2)]
        p.outOfRange = [0, 0.01, 0.03][rng.int(0...2)]
        p.jump = [0, 0.001, 0.005][rng.int(0...2)]
        p.jumpSize = rng.chance(0.2) ? 100...3000 : 2...50
        p.reboot = [0, 0.0005, 0.002][rng.int(0...2)]
        p.outage = [0, 0.002, 0.01][rng.int(0...2)]
        p.outageLength = rng.chance(0.3) ? 50...2000 : 2...60
        p.silence = [0, 0, 0.0005][rng.int(0...2)]
        return p
    }
}

/// The network and broker between sensors and gateway: loss, duplication, reordering and delay
/// of messages in both directions.
public struct NetworkProfile: Sendable {
    /// Chance a message (either way) is lost, or delivered twice.
    public var loss = 0.01
    public var duplicate = 0.005
    /// Extra delay (reordering) for this share of messages.
    public var reorder = 0.01
    /// Every message's delay, and the extra delay of a reordered one.
    public var delayMs: ClosedRange<Int64> = 0...300
    public var reorderDelayMs: ClosedRange<Int64> = 200...3000

    /// The defaults above.
    public init() {}

    static func drawn(rng: inout SplitMix64) -> NetworkProfile {
        var n = NetworkProfile()
        n.loss = [0, 0.005, 0.02, 0.1][rng.int(0...3)]
        n.duplicate = [0, 0.005, 0.02][rng.int(0...2)]
        n.reorder = [0, 0.01, 0.05][rng.int(0...2)]
        n.delayMs = 0...Int64([50, 300, 1500][rng.int(0...2)])
        return n
    }
}

/// Per-step chances of the gateway's, clock's and disk's faults.
public struct FaultRates: Sendable {
    /// The gateway process is killed (page cache kept) or the power is cut (unsynced lost).
    public var crash = 0.002
    /// The share of crashes that are power cuts.
    public var powerCutShare = 0.3
    /// Steps the gateway stays down after a crash.
    public var downSteps: ClosedRange<Int> = 1...300
    /// Wall-clock steps (back or forward) of this size.
    public var clockBack = 0.0005
    public var clockForward = 0.0005
    /// The size of a clock step, either way.
    public var clockStepMs: ClosedRange<Int64> = 1_000...600_000
    /// At rest, while the gateway is down: a segment file of the wrong size, a bit flip in a
    /// record (header or payload), a bit flip in a segment header.
    public var oddSize = 0.05
    public var recordFlip = 0.1
    /// The share of record flips that hit the record's 32-byte header (the rest its payload).
    public var recordFlipInHeader = 0.5
    public var headerFlip = 0.05
    /// At rest: a segment's records from a drawn one on are lost, the file cut there or its
    /// rest zeroed (the newest segment half the time): synced records, publications among them,
    /// gone, as the broker's retained `latest/` values still show what went out. Off unless set
    /// (`Scenario.drawn` draws it from a stream of its own, so older seeds' worlds stay as drawn).
    public var tailCut = 0.0
    /// On the restart's reads: one short read.
    public var shortRead = 0.05
    /// While running: a write or sync fails (ENOSPC or EIO); the gateway exits and restarts.
    public var writeError = 0.0005
    /// While running: the gateway's input connection is lost for `inputOutageSteps` (the broker
    /// queues its readings meanwhile; its output goes on). Off unless set
    /// (`Scenario.withInputOutages` draws it from a stream of its own).
    public var inputOutage = 0.0
    public var inputOutageSteps: ClosedRange<Int> = 5...150
    /// At a restart: `journal-max-bytes` changed, so the start resizes the journal in place (grown
    /// or shrunk, keeping unfinished work); a refused one is put back, as an operator would. Off
    /// unless set (`Scenario.withResizes` draws it from a stream of its own).
    public var resize = 0.0
    /// The share of resizes whose copy fails partway (a write error): that start fails, and the
    /// next one finds the interrupted copy.
    public var resizeInterrupted = 0.0
    /// Where an interrupted resize's write error strikes: the start's write or sync this many
    /// from the arming (the copy's, or past a small copy the first ones of the resized journal).
    public var resizeFailAfter: ClosedRange<Int> = 0...12

    /// The defaults above.
    public init() {}

    static func drawn(rng: inout SplitMix64) -> FaultRates {
        var f = FaultRates()
        f.crash = [0, 0.001, 0.004][rng.int(0...2)]
        f.clockBack = [0, 0, 0.001][rng.int(0...2)]
        f.clockForward = [0, 0, 0.001][rng.int(0...2)]
        f.writeError = [0, 0, 0.0005][rng.int(0...2)]
        f.oddSize = [0, 0.1][rng.int(0...1)]
        f.recordFlip = [0, 0.2][rng.int(0...1)]
        f.headerFlip = [0, 0.1][rng.int(0...1)]
        f.shortRead = [0, 0.1][rng.int(0...1)]
        return f
    }
}
