import Testing

@testable import Recovery

/// A reload that changes the valid range while an out-of-range reading waits for its right
/// neighbour (21st black-box review): the reading was judged by the range of its arrival, and
/// its `corrected` estimate must not be a value that range rejects too.
@Suite struct ReloadedRangeTests {
    private static func reload(_ h: inout Harness, min: Double, max: Double) {
        var c = h.engine.configuration
        c.validMin = min
        c.validMax = max
        var none: [Publication] = []
        h.engine.reconfigure(c, at: h.now, into: &none)
    }

    private static func corrected(_ h: Harness) -> Publication? {
        h.log.cleaned.first { $0.quality == "corrected" }
    }

    @Test("widened upwards meanwhile: the estimate stays at or below the bound that rejected the raw value")
    func widenedUp() throws {
        var h = Harness {
            $0.validMin = 50; $0.validMax = 53.5
        }
        h.send(seq: 0, temp: 53.5)
        h.send(seq: 1, temp: 53.9)  // above 53.5: held until its right neighbour
        Self.reload(&h, min: 50, max: 54.5)
        h.send(seq: 2, temp: 54.5)  // valid now; interpolating alone would give 54.0
        for _ in 0..<10 { h.advance(1000) }
        #expect(h.log.summary == ["0:ok", "1:corrected", "2:ok"])
        let fix = try #require(Self.corrected(h))
        #expect(fix.temperature == 53.5)
        #expect(fix.json["raw"] as? Double == 53.9)
    }

    @Test("widened downwards meanwhile: the estimate stays at or above the bound that rejected the raw value")
    func widenedDown() throws {
        var h = Harness {
            $0.validMin = 51; $0.validMax = 55
        }
        h.send(seq: 0, temp: 51)
        h.send(seq: 1, temp: 50.6)
        Self.reload(&h, min: 49, max: 55)
        h.send(seq: 2, temp: 49)  // interpolating alone would give 50.0
        for _ in 0..<10 { h.advance(1000) }
        let fix = try #require(Self.corrected(h))
        #expect(fix.temperature == 51)
    }

    @Test("ranges that do not overlap: the estimate lies in the range in force at release")
    func disjoint() throws {
        var h = Harness {
            $0.validMin = 50; $0.validMax = 51
        }
        h.send(seq: 0, temp: 50.5)
        h.send(seq: 1, temp: 53)
        Self.reload(&h, min: 54, max: 55)
        h.send(seq: 2, temp: 54.8)
        for _ in 0..<10 { h.advance(1000) }
        let fix = try #require(Self.corrected(h))
        #expect(fix.temperature.map { (54...55).contains($0) } == true)
    }

    @Test("no reload: the estimate is the interpolation, as before")
    func unchanged() throws {
        var h = Harness {
            $0.validMin = 50; $0.validMax = 55
        }
        h.send(seq: 0, temp: 52)
        h.send(seq: 1, temp: 58)
        h.send(seq: 2, temp: 54)
        for _ in 0..<10 { h.advance(1000) }
        let fix = try #require(Self.corrected(h))
        #expect(fix.temperature == 53)
    }
}
