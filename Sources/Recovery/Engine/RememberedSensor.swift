/// Where a forgotten sensor (expired, or evicted at the `max-sensors` cap) stopped: enough to
/// continue its epoch if it comes back, so the readings it missed meanwhile are asked for and
/// filled or reported as a gap, as for any other sensor, instead of disappearing between two
/// streams. About a hundred bytes each; `ForgottenSensors` keeps a bounded number.
struct RememberedSensor: Codable, Sendable, Equatable {
    var id: String
    var boot: Int64?
    var nextSeq: UInt64
    var highestSeen: UInt64?
    var maxTs: Int64
    var lastValid: Anchor?
    var lastAnchor: Anchor?
    var tsStep: Int64
}

extension SensorState {
    /// What to remember of this sensor once `expire` has published everything it held.
    var remembered: RememberedSensor? {
        guard started else { return nil }  // never started: nothing was published to continue from
        return RememberedSensor(
            id: id, boot: boot, nextSeq: nextSeq, highestSeen: highestSeen, maxTs: maxTs,
            lastValid: lastValid, lastAnchor: lastAnchor, tsStep: tsStep)
    }

    /// A sensor coming back after being forgotten: it continues its epoch where it stopped. It
    /// was announced `expired`, so its first reading announces it `live` again.
    init(resuming r: RememberedSensor, firstReceipt: Int64, configuration: EngineConfiguration) {
        self.init(id: r.id, firstReceipt: firstReceipt, configuration: configuration)
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
    }
}
