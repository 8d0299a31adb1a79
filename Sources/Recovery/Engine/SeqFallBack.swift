/// How far a reading's seq falls below what its sensor has delivered, counted in readings
/// delivered: the seqs of a jump, published as estimates or a gap and never delivered since, do
/// not count, since the sensor never sent them.
///
/// A fall back by more than `reset-threshold` starts an epoch (a sensor without `boot` that
/// restarted). Measured in seqs across a jump, a network copy of a reading published just before
/// the jump looked like one (found by the fault simulator, aimed finding-4 seed 6161: a sensor's
/// seq jumped by 6,490, a copy of the reading before the jump arrived after it, and the gateway
/// began an epoch and filled seqs 0-10,706 `synthetic`). Seqs only asked for are not left out:
/// an answered request's seqs were delivered, and the stale sensor's open-ended request names
/// every later seq.
enum SeqFallBack {
    /// How many seqs of `window` the ranges cover (ranges may overlap and come in any order).
    static func covered(_ ranges: [ClosedRange<UInt64>], within window: ClosedRange<UInt64>) -> UInt64 {
        let inside = ranges.filter { $0.overlaps(window) }.map { $0.clamped(to: window) }.sorted { $0.lowerBound < $1.lowerBound }
        var count: UInt64 = 0
        var countedThrough: UInt64?
        for range in inside {
            let from = countedThrough.map { Swift.max(range.lowerBound, $0 + 1) } ?? range.lowerBound
            guard from <= range.upperBound else { continue }
            count += range.upperBound - from + 1
            countedThrough = range.upperBound
        }
        return count
    }

    /// The readings delivered above `seq`: the seqs released up to `nextSeq` (exclusive) but
    /// those published as estimates or gaps (`estimates`) and not restated since (`restated`,
    /// the restated seqs among them), and the `held` readings not released yet.
    static func delivered(above seq: UInt64, nextSeq: UInt64, held: Int, estimates: [ClosedRange<UInt64>], restated: [UInt64]) -> UInt64 {
        guard seq + 1 < nextSeq else { return UInt64(held) }
        let released = (seq + 1)...(nextSeq - 1)
        let estimated = covered(estimates, within: released)
        let restatedInside = UInt64(restated.count { released.contains($0) })
        let neverDelivered = Swift.min(estimated - Swift.min(restatedInside, estimated), UInt64(released.count))
        return UInt64(released.count) - neverDelivered + UInt64(held)
    }
}
