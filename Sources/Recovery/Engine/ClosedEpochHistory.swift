/// What the epoch a new `boot` closed published as estimates or gaps, kept for the late horizon.
///
/// CONTRACT section 4 restates a seq published `synthetic` when its real reading arrives within
/// the late horizon, and a sensor restart does not end that promise: a reading of the closed
/// boot that a relay delayed, or a resend answer from a sensor that keeps its buffer across a
/// reboot, still restates its estimate (before, it was dead-lettered `too_late` once the new
/// boot's first reading was in). Only the epoch just closed is kept, and only for sensors that
/// send `boot` (without it, a closed epoch's seqs cannot be told from the new one's).
struct ClosedEpochHistory: Codable, Sendable, Equatable {
    var boot: Int64
    var history: PublishedHistory
    /// The closed epoch's latest `ts`: every seq it estimated lies below a reading it released,
    /// so a reading of that boot later than this is not one of them (a reset boot counter).
    var maxTs: Int64
    /// The closed epoch's `SensorState.aggregatesFinalBelow`: a restatement below it changes no
    /// aggregate.
    var aggregatesFinalBelow: UInt64?

    /// Whether `r` is a late reading for a seq the closed epoch published as an estimate or a
    /// gap (restatable or not), rather than one of the current epoch, `current` being its boot.
    func holds(_ r: Reading, current: Int64?) -> Bool {
        guard let b = r.boot, b == boot, b != current, r.ts <= maxTs else { return false }
        return history.covers(r.seq)
    }
}
