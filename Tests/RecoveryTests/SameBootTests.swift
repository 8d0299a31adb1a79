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

    @Test(
        "the last readings of a boot, delivered just behind the next boot's first, are published ok in their own stream within the reorder window (a seq skipped among them a gap); a copy or one after the window is too_late"
    )
    func closedEpochTail() {
        var h = Harness()
        let base: Int64 = 1_795_660_000_000
        var out: [Publication] = []
        for seq in 0...15 { out += h.send("t", seq: seq, ts: base + Int64(seq) * 500, boot: 5) }
        out += h.advance(3_000)
        // Rebooted: boot 6's seq 0, then boot 5's seq 16, sent before the reboot, 100 ms behind it.
        out += h.send("t", seq: 0, ts: base + 8_500, boot: 6)
        out += h.advance(100)
        let tail = h.send("t", seq: 16, ts: base + 8_000, boot: 5)
        #expect(tail.of(.deadLetter).isEmpty, "\(tail.map(\.text))")
        #expect(tail.cleaned.map { "\($0.json["boot"] as? Int ?? -1):\($0.seq ?? -1):\($0.quality ?? "?")" } == ["5:16:ok"])
        // One past a lost seq: the lost one is a gap (nothing is filled in a closed epoch).
        let skipped = h.send("t", seq: 18, ts: base + 8_200, boot: 5)
        #expect(skipped.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } == ["17:gap", "18:ok"], "\(skipped.map(\.text))")
        // A copy, or an earlier seq: too late, as before.
        let copy = h.send("t", seq: 16, ts: base + 8_000, boot: 5)
        #expect(copy.cleaned.isEmpty && copy.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"])
        // After the reorder window: too late.
        out += h.advance(3_000)
        let afterWindow = h.send("t", seq: 19, ts: base + 8_300, boot: 5)
        #expect(afterWindow.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"], "\(afterWindow.map(\.text))")
        for seq in 1...5 { out += h.send("t", seq: seq, ts: base + 8_500 + Int64(seq) * 500, boot: 6) }
        out += h.advance(3_000) + h.advance(3_000)
        let boot6 = (out + tail).cleaned.filter { $0.json["boot"] as? Int == 6 }.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(boot6 == (0...5).map { "\($0):ok" }, "\(boot6)")
    }
}
