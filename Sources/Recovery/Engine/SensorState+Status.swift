/// The live view of a sensor's recovery state that the status page needs beyond its counts.
extension SensorState {
    /// The seqs this sensor's stream is waiting for: the open gap in front of the lowest held
    /// reading (a resend was asked for it; it is filled when the reorder window closes). nil
    /// when nothing is held past a hole, and while a new sensor is still held to learn where it
    /// starts (no seq is missing yet).
    var openGap: ClosedRange<UInt64>? {
        guard started, let head = heap.min, head.reading.seq > nextSeq else { return nil }
        return nextSeq...(head.reading.seq - 1)
    }

    /// `summaryNow` with the open gap: what `RecoveryEngine.summaries` hands out.
    var statusSummary: SensorSummary {
        var s = summaryNow
        s.missing = openGap
        return s
    }
}
