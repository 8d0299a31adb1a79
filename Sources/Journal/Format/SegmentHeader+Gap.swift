extension SegmentHeader {
    /// The records missing between the segment read before (whose last record makes
    /// `expectedNext` the seq due next) and this one: a segment file lost. nil when none are, or
    /// when this segment says it skipped them on purpose (`skippedFrom`). Shared by the writer's
    /// recovery and the reader, so both name a hole alike.
    func missingBefore(expectedNext: UInt64?) -> ClosedRange<UInt64>? {
        guard let e = expectedNext, baseSeq > e else { return nil }
        if skippedFrom != 0 && skippedFrom <= e { return nil }
        return e...(baseSeq - 1)
    }

    /// How a hole `missingBefore` found is reported.
    static func describeMissing(_ seqs: ClosedRange<UInt64>) -> String {
        "records \(seqs.lowerBound)...\(seqs.upperBound) missing between segments"
    }
}
