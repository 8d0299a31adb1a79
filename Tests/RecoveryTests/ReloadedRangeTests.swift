import Testing

@testable import Recovery

/// A reload that changes the valid range while an out-of-range reading waits for its right
/// neighbour (21st black-box review): the reading was judged by the range of its arrival, and
/// its `corrected` estimate must not be a value that range rejects too.
@Suite struct ReloadedRangeTests {
    /// Seqs 0-2 of one sensor under `before`, the range reloaded to `after` once seq 1 (out of
    /// range under `before`) is held: the cleaned output and seq 1's corrected message.
    private static func correction(
        before: ClosedRange<Double>, after: ClosedRange<Double>?, values: (Double, Double, Double)
    ) throws -> (summary: [String], fix: Publication) {
        var h = Harness {
            $0.validMin = before.lowerBound; $0.validMax = before.upperBound
        }
        h.send(seq: 0, temp: values.0)
        h.send(seq: 1, temp: values.1)  // held until its right neighbour
        if let after {
            var c = h.engine.configuration
            c.validMin = after.lowerBound
            c.validMax = after.upperBound
            var none: [Publication] = []
            h.engine.reconfigure(c, at: h.now, into: &none)
        }
        h.send(seq: 2, temp: values.2)
        for _ in 0..<10 { h.advance(1000) }
        let fix = try #require(h.log.cleaned.first { $0.quality == "corrected" })
        return (h.log.summary, fix)
    }

    @Test("widened upwards meanwhile: the estimate stays at or below the bound that rejected the raw value")
    func widenedUp() throws {
        // Interpolating alone would give 54.0, above the raw 53.9 that 53.5 rejected.
        let (summary, fix) = try Self.correction(before: 50...53.5, after: 50...54.5, values: (53.5, 53.9, 54.5))
        #expect(summary == ["0:ok", "1:corrected", "2:ok"])
        #expect(fix.temperature == 53.5)
        #expect(fix.json["raw"] as? Double == 53.9)
    }

    @Test("widened downwards meanwhile: the estimate stays at or above the bound that rejected the raw value")
    func widenedDown() throws {
        // Interpolating alone would give 50.0, below the raw 50.6 that 51 rejected.
        let (_, fix) = try Self.correction(before: 51...55, after: 49...55, values: (51, 50.6, 49))
        #expect(fix.temperature == 51)
    }

    @Test("ranges that do not overlap: the estimate lies in the range in force at release")
    func disjoint() throws {
        let (_, fix) = try Self.correction(before: 50...51, after: 54...55, values: (50.5, 53, 54.8))
        #expect(fix.temperature.map { (54...55).contains($0) } == true)
    }

    @Test("no reload: the estimate is the interpolation, as before")
    func unchanged() throws {
        let (_, fix) = try Self.correction(before: 50...55, after: nil, values: (52, 58, 54))
        #expect(fix.temperature == 53)
    }

    /// Found black-box (89th review): after a reload widened the range to take a reading the
    /// old one rejected, a network copy of that reading came out `restated` over its `corrected`
    /// message and revised its aggregate window, where a copy is a duplicate (CONTRACT section 3).
    @Test(
        "widened after the correction went out: a copy of the rejected reading is a duplicate, through a snapshot too; a different value in range still restates",
        arguments: [false, true])
    func copyAfterWideningIsDuplicate(throughSnapshot: Bool) throws {
        var h = Harness()
        h.send(seq: 0, temp: 52)
        h.send(seq: 1, temp: 57)
        h.send(seq: 2, temp: 52.4)
        for _ in 0..<5 { h.advance(1000) }
        #expect(h.log.summary == ["0:ok", "1:corrected", "2:ok"])
        if throughSnapshot { try h.restoreFromSnapshot() }
        var c = h.engine.configuration
        c.validMax = 60
        var none: [Publication] = []
        h.engine.reconfigure(c, at: h.now, into: &none)
        let copy = h.send(seq: 1, temp: 57)
        #expect(copy.isEmpty, "\(copy.map(\.text))")
        #expect(h.engine.counters.duplicates == 1)
        // A real value for the seq, not the one rejected, restates the estimate as before.
        let real = h.send(seq: 1, temp: 52.2)
        #expect(
            real.filter { $0.kind == .cleaned }.map(\.text).first?.contains("\"quality\":\"restated\",\"supersedes\":\"corrected\"") == true,
            "\(real.map(\.text))")
    }

    @Test("the rejected value a corrected seq keeps costs its history entry nothing")
    func rejectedValueFitsTheEntry() {
        #expect(MemoryLayout<PublishedHistory.Entry>.stride == 32)
    }
}
