import Foundation
import Testing
@testable import Recovery

/// A seq at the contract's limit, or a jump to it (issue 28, found black-box): seqs a JSON number
/// cannot hold exactly are bad input; a jump is one `gap` message, and the seq totals it adds to
/// stay exact and never overflow.
@Suite("Huge seqs and jumps")
struct HugeSeqJumpTests {
    static let maxSeq = 9_007_199_254_740_991  // 2^53 - 1

    @Test("a seq beyond 2^53-1 (or written so a double cannot hold it exactly) is dead-lettered bad_value:seq; 2^53-1 itself is taken")
    func beyondTheLimitIsBadInput() {
        var h = Harness()
        for text in ["9007199254740992", "9007199254740993", "18446744073709551615", "1e16", "9.007199254740993e15"] {
            let out = h.raw("sensors/s1/temperature", #"{"seq":\#(text),"ts":1795660000000,"temperature":52,"status":"normal"}"#)
            #expect(out.of(.deadLetter).map(\.reason) == ["bad_value:seq"], "seq \(text)")
        }
        let taken = h.send(seq: Self.maxSeq, ts: 1_795_660_000_000) + h.advance(3_000)
        #expect(taken.of(.deadLetter).isEmpty)
        #expect(taken.summary == ["\(Self.maxSeq):ok"])
    }

    @Test("a jump to 2^53-1 is one gap message, and the gap seq total adds exactly the seqs it declares missing")
    func jumpIsOneGap() {
        var h = Harness()
        for seq in 0..<10 { h.send(seq: seq) }
        h.advance(3_000)
        h.send(seq: Self.maxSeq, ts: 1_795_660_011_000)
        let out = h.advance(3_000) + h.advance(3_000)
        let gaps = out.cleaned.filter { $0.quality == "gap" }
        #expect(gaps.count == 1, "\(out.summary)")
        #expect((gaps.first?.json["to_seq"] as? NSNumber)?.int64Value == Int64(Self.maxSeq - 1))
        #expect(out.summary.last == "\(Self.maxSeq):ok")
        #expect(h.engine.counters.output.cleaned(.gap) == 1)
        #expect(h.engine.counters.output.seqs(.gap) == Self.maxSeq - 10)
    }

    @Test(
        "the readings a gap stands for are bounded by its time at the sensor's period: a jump to 2^53-1 one second on counts 2, a 700-second outage counts its 700 seqs (87th review)"
    )
    func gapReadingsFollowTime() {
        let base: Int64 = 1_795_660_000_000
        var jumped = Harness()
        for seq in 0..<10 { jumped.send(seq: seq, ts: base + Int64(seq) * 1000, at: jumped.now + 1000) }
        jumped.send(seq: Self.maxSeq, ts: base + 10_000, at: jumped.now + 1000)
        jumped.run(for: 10_000)
        #expect(jumped.engine.counters.output.seqs(.gap) == Self.maxSeq - 10)
        #expect(jumped.engine.counters.output.gapReadings == 2)
        var silent = Harness()
        for seq in 0..<10 { silent.send(seq: seq, ts: base + Int64(seq) * 1000, at: silent.now + 1000) }
        silent.send(seq: 710, ts: base + 710_000, at: silent.now + 701_000)
        silent.run(for: 30_000)
        #expect(silent.log.cleaned.filter { $0.quality == "gap" }.count == 1, "\(silent.log.summary.suffix(3))")
        #expect(silent.engine.counters.output.seqs(.gap) == 700)
        #expect(silent.engine.counters.output.gapReadings == 700)
    }

    @Test("a gap opening an epoch, whose readings' times are unknown, counts all its seqs as readings")
    func epochStartGapCountsSeqs() {
        let base: Int64 = 1_795_660_000_000
        var h = Harness()
        for seq in 0..<10 { h.send(seq: seq, ts: base + Int64(seq) * 1000, boot: 1, at: h.now + 1000) }
        // Rebooted, its first 700 readings lost (more than max-fill): one gap from seq 0.
        h.send(seq: 700, ts: base + 20_000, boot: 2, at: h.now + 1000)
        h.run(for: 30_000)
        let gaps = h.log.cleaned.filter { $0.quality == "gap" }
        #expect(gaps.map { "\($0.seq ?? -1)-\(($0.json["to_seq"] as? Int) ?? -1)" } == ["0-699"], "\(h.log.summary.suffix(3))")
        #expect(h.engine.counters.output.gapReadings == 700)
    }

    @Test("a sensor silent after seq 2^53-1 goes stale without a resend request: none names a seq past the valid range")
    func staleAtTheLimitAsksNothing() {
        var h = Harness()
        for seq in Self.maxSeq - 4...Self.maxSeq { h.send(seq: seq, ts: 1_795_660_000_000 + Int64(seq - Self.maxSeq) * 1000, at: h.now + 1000) }
        h.advance(2000)
        let last = h.now - 2000
        h.run(for: 60_000)
        #expect(h.log.of(.resendRequest).map(\.text) == [])
        #expect(h.log.of(.sensorState).last?.text == "{\"state\":\"stale\",\"last_seq\":\(Self.maxSeq),\"last_seen\":\(last)}")
        #expect(h.log.summary.suffix(5) == (Self.maxSeq - 4...Self.maxSeq).map { "\($0):ok" })
    }

    @Test("gap seq totals saturate instead of overflowing (a thousand sensors each jumping to 2^53-1)")
    func totalsSaturate() {
        var totals = OutputTotals()
        for _ in 0..<2_000 { totals.countGapSeqs(Self.maxSeq) }
        #expect(totals.seqs(.gap) == Int.max)
        var sum = OutputTotals()
        sum.add(totals)
        sum.add(totals)
        #expect(sum.seqs(.gap) == Int.max)
        var readings = OutputTotals()
        for _ in 0..<2_000 { readings.countGapReadings(Self.maxSeq) }
        #expect(readings.gapReadings == Int.max)
    }
}
