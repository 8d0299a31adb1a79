import Wire

/// A run of regenerated estimates of one stream that a restart sends as one `journal_damaged`
/// gap in place of destroyed publications (`RestoreReplay.takeDestroyedBefore`): consecutive
/// seqs of one boot share a gap, and a seq that does not continue the run starts another.
struct DamagedEstimates {
    private var topic = ""
    private var first: CleanedReading?
    private var last: CleanedReading?

    /// Adds estimate `m` of cleaned topic `topic` to the run; returns the gap over the run so far
    /// when `m` does not continue it.
    mutating func extend(over m: CleanedReading, on topic: String) -> Publication? {
        if let last, self.topic == topic, last.boot == m.boot, last.coveredSeqs.upperBound &+ 1 == m.coveredSeqs.lowerBound {
            self.last = m
            return nil
        }
        let finished = take()
        self.topic = topic
        first = m
        last = m
        return finished
    }

    /// The gap over the run so far, if any; the next estimate starts a new run.
    mutating func take() -> Publication? {
        guard let first, let last else { return nil }
        self.first = nil
        self.last = nil
        return GapNotice.journalDamaged(
            on: topic, sensorID: first.sensorID, seqs: first.coveredSeqs.lowerBound...last.coveredSeqs.upperBound,
            fromTs: first.fromTs ?? first.ts, toTs: last.toTs ?? last.ts, boot: first.boot)
    }
}
