import Testing
@testable import Recovery

/// A sensor that sends no `boot` and restarts (issue 28, found black-box): its seqs start again
/// at 0, below what its previous life published. When its restart's seq 0 is lost, its next
/// readings must not be taken for duplicates of the previous life's.
@Suite("A restart without a boot field")
struct BootlessRestartTests {
    @Test("a boot-less sensor that restarts and whose seq 0 is lost: its new readings start a new epoch and are published, none dropped as duplicates")
    func restartWithLostSeqZero() {
        var h = Harness()
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<100 { h.send(seq: seq, ts: base + Int64(seq) * 1000) }
        h.advance(3_000)
        #expect(h.log.summary.count == 100)
        // Restarted an hour later: seq 0 never arrives, 1...20 do, with times after everything before.
        var out: [Publication] = []
        for seq in 1...20 { out += h.send(seq: seq, ts: base + 3_600_000 + Int64(seq) * 1000) }
        out += h.advance(3_000) + h.advance(3_000)
        #expect(h.engine.counters.duplicates == 0)
        #expect(out.summary.filter { $0.hasSuffix(":ok") } == (1...20).map { "\($0):ok" }, "\(out.summary)")
        // Seq 0 of the new life is a gap like any other: filled from the nearest reading after it.
        #expect(out.summary.first == "0:synthetic", "\(out.summary)")
    }

    @Test("a real duplicate (same seq, same time) from a boot-less sensor is still dropped, and a late copy is not a restart")
    func duplicatesStayDuplicates() {
        var h = Harness()
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<100 { h.send(seq: seq, ts: base + Int64(seq) * 1000) }
        h.advance(3_000)
        let copy = h.send(seq: 42, ts: base + 42_000) + h.advance(3_000)
        #expect(copy.cleaned.isEmpty, "\(copy.summary)")
        #expect(h.engine.counters.duplicates == 1)
    }
}
