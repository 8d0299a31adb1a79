/// Where a forgotten sensor (expired, or evicted at the `max-sensors` cap) stopped: enough to
/// continue its epoch if it comes back, so the readings it missed meanwhile are asked for and
/// filled or reported as a gap, as for any other sensor, instead of disappearing between two
/// streams. About a hundred bytes each; `ForgottenSensors` keeps a bounded number.
///
/// A sensor forgotten within the late horizon of its last fills (evicted at the cap after a
/// minute's silence, say) also keeps what a resend answer or a restatement needs: its newest
/// restatable fills (`history`), what it was asked to resend (`asked`) and the aggregate windows
/// those touch or that its forgetting closed early (`aggregates`), each bounded (see
/// `PublishedHistory.remembered`, `AggregateWindows.remembered`). All three are optional, so
/// states written before they existed still decode.
struct RememberedSensor: Codable, Sendable, Equatable {
    var id: String
    /// nil: temperature (and states from before measurements).
    var measurement: String? = nil
    var boot: Int64?
    var nextSeq: UInt64
    var highestSeen: UInt64?
    var maxTs: Int64
    var lastValid: Anchor?
    var lastAnchor: Anchor?
    var tsStep: Int64
    var history: PublishedHistory? = nil
    var asked: AskedRanges? = nil
    var aggregates: AggregateWindows? = nil
    /// The `ts` of its last value on `latest/`, which a late restatement after it comes back must
    /// not go below; nil in states from before it was kept.
    var latestTs: Int64? = nil
    /// `SensorState.lostOutputFrom` and `lostOutputThrough` when it was forgotten: a restart's
    /// lost output it had not yet passed (nil: none, and in states from before they were kept).
    /// A sensor forgotten while the broker's `latest/` showed seqs out that it had dropped,
    /// not released, stopped before them: without these it came back to estimate them again
    /// (found by the fault simulator, aimed finding-8 seed 168: a seq published `ok` came out
    /// again `synthetic`).
    var lostOutputFrom: UInt64? = nil
    var lostOutputThrough: UInt64? = nil
    /// `SensorState.lostOutputUnbounded` when it was forgotten.
    var lostOutputUnbounded: Bool? = nil
    /// `SensorState.lostNextEpoch` and `publishedBefore` when it was forgotten: a restart had
    /// found the broker's `latest/` of a later boot than the sensor's, so that boot's seqs up to
    /// the value went out. Without them a sensor forgotten before that boot's readings came back
    /// took them for a new epoch, and estimated what consumers held (found by the fault
    /// simulator, aimed finding-8 seed 16,377: a late copy of boot 2's seq 1 came after the sensor
    /// expired, and boot 2's seq 0, published `ok`, came out again `synthetic`). nil: none, and
    /// in states from before they were kept.
    var lostNextEpoch: Bool? = nil
    var publishedBefore: RecoveryEngine.PublishedLatest? = nil
}

extension RememberedSensor {
    /// Its key among the engine's streams (`StreamName.key`).
    var key: String { StreamName(sensorID: id, measurement: measurement).key }
}

extension SensorState {
    /// What to remember of this sensor once `expire` has published everything it held at `now`.
    func remembered(at now: Int64, horizon: Int64, width: Int64) -> RememberedSensor? {
        guard started else { return nil }  // never started: nothing was published to continue from
        var asked = asked
        asked?.prune(now: now, horizon: horizon)
        return RememberedSensor(
            id: id, measurement: measurement, boot: boot, nextSeq: nextSeq, highestSeen: highestSeen, maxTs: maxTs,
            lastValid: lastValid, lastAnchor: lastAnchor, tsStep: tsStep,
            history: history.remembered(now: now, horizon: horizon), asked: asked?.isEmpty == false ? asked : nil,
            aggregates: aggregates.remembered(now: now, horizon: horizon, width: width), latestTs: latestTs, lostOutputFrom: lostOutputFrom,
            lostOutputThrough: lostOutputThrough, lostOutputUnbounded: lostOutputUnbounded, lostNextEpoch: lostNextEpoch,
            publishedBefore: publishedBefore)
    }

    /// A sensor coming back after being forgotten: it continues its epoch where it stopped. It
    /// was announced `expired`, so its first reading announces it `live` again.
    init(resuming r: RememberedSensor, firstReceipt: Int64, configuration: EngineConfiguration) {
        self.init(id: r.id, measurement: r.measurement, firstReceipt: firstReceipt, configuration: configuration)
        started = true
        boot = r.boot
        nextSeq = r.nextSeq
        highestSeen = r.highestSeen
        maxTs = r.maxTs
        lastValid = r.lastValid
        lastAnchor = r.lastAnchor
        tsStep = r.tsStep
        stale = true
        forgottenBelow = r.nextSeq
        history = r.history ?? PublishedHistory()
        asked = r.asked
        aggregates = r.aggregates ?? AggregateWindows()
        latestTs = r.latestTs
        lostOutputFrom = r.lostOutputFrom
        lostOutputThrough = r.lostOutputThrough
        lostOutputUnbounded = r.lostOutputUnbounded
        lostNextEpoch = r.lostNextEpoch
        publishedBefore = r.publishedBefore
    }
}
