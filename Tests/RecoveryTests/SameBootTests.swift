import Testing
@testable import Recovery

/// A sensor that says its boot has said whether it restarted (found by the fault simulator,
/// drawn seed 100: a delayed copy of an old reading started a new epoch and republished seqs).
@Suite("The same boot is the same epoch")
struct SameBootTests {
    @Test("a delayed copy of a reading far below the newest seq, with the same boot, is a duplicate: no new epoch, nothing republished")
    func delayedCopyIsNoReset() {
        var h = Harness()
        for seq in 0...2_000 {
            h.send(seq: seq, boot: 2)
            if seq % 100 == 0 { h.advance(3_000) }
        }
        h.advance(3_000)
        let before = h.log.count
        let after = h.send(seq: 329, boot: 2) + h.advance(3_000)
        #expect(after.cleaned.isEmpty, "\(after.summary)")
        #expect(after.of(.resendRequest).isEmpty)
        #expect(h.engine.counters.duplicates >= 1)
        #expect(h.log.count == before + after.count)
        // The same fall without a boot is a sensor that restarted: a new epoch, as before.
        var n = Harness()
        for seq in 0...2_000 {
            n.send(seq: seq)
            if seq % 100 == 0 { n.advance(3_000) }
        }
        n.advance(3_000)
        let reset = n.send(seq: 329, ts: 1_795_670_000_000) + n.advance(3_000)
        #expect(
            reset.of(.resendRequest).contains { String(decoding: $0.payload, as: UTF8.self) == #"{"from_seq":0,"to_seq":328,"measurement":"temperature"}"# })
    }
}

/// A new sensor's first-sight hold learns where its stream starts (found by the fault
/// simulator, seed 229: after a power cut lost the journal, the broker's backlog arrived with a
/// seq jump and old readings reordered behind it, and a fall back during the hold started a new
/// epoch that republished seq 0 as synthetic).
@Suite("The first-sight hold is one stream")
struct FirstSightHoldTests {
    @Test("readings far below the newest, inside a new sensor's hold, are not a reset: every seq once")
    func fallBackDuringHold() {
        var h = Harness { $0.resetThreshold = 300 }
        var out: [Publication] = []
        for seq in 600..<610 { out += h.send(seq: seq, at: h.now + 10) }
        for seq in 0..<20 { out += h.send(seq: seq, at: h.now + 10) }
        for _ in 0..<10 { out += h.advance(1_000) }
        let seqs = out.cleaned.compactMap(\.seq)
        #expect(Set(seqs).count == seqs.count, "a seq published twice: \(out.summary)")
        #expect(out.cleaned.first?.seq == 0, "\(out.summary)")
        #expect(out.cleaned.filter { (0..<20).contains($0.seq ?? -1) }.allSatisfy { $0.quality == "ok" })
    }
}
