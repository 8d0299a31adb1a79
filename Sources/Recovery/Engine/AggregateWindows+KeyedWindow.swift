/// A window in the keyed form snapshots of format 5 hold (today's snapshots hold the packed
/// form, `AggregateWindows+Packing`): the folded estimates as two summaries of their own.
extension AggregateWindows.Window: Codable {
    private enum CodingKeys: String, CodingKey {
        case start, real, estimates, foldedCorrected, foldedSynthetic, revision, closedAt, closedEarly, gapTouched
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(start: try c.decode(Int64.self, forKey: .start))
        real = try c.decode(AggregateWindows.Summary.self, forKey: .real)
        estimates = try c.decode([AggregateWindows.Estimate].self, forKey: .estimates)
        foldedCorrected = try c.decode(AggregateWindows.Summary.self, forKey: .foldedCorrected)
        foldedSynthetic = try c.decode(AggregateWindows.Summary.self, forKey: .foldedSynthetic)
        revision = try c.decode(Int.self, forKey: .revision)
        closedAt = try c.decodeIfPresent(Int64.self, forKey: .closedAt)
        closedEarly = try c.decodeIfPresent(Bool.self, forKey: .closedEarly)
        gapTouched = try c.decodeIfPresent(Bool.self, forKey: .gapTouched)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(start, forKey: .start)
        try c.encode(real, forKey: .real)
        try c.encode(estimates, forKey: .estimates)
        try c.encode(foldedCorrected, forKey: .foldedCorrected)
        try c.encode(foldedSynthetic, forKey: .foldedSynthetic)
        try c.encode(revision, forKey: .revision)
        try c.encodeIfPresent(closedAt, forKey: .closedAt)
        try c.encodeIfPresent(closedEarly, forKey: .closedEarly)
        try c.encodeIfPresent(gapTouched, forKey: .gapTouched)
    }
}
