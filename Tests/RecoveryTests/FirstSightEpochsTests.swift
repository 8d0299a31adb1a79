import Testing
@testable import Recovery

/// A sensor seen for the first time may have restarted just before: a reading of its earlier
/// epoch can arrive behind the new epoch's first ones, inside the first-sight hold. Found
/// black-box (59th review): an earlier boot's reading was dead-lettered `too_late` at once,
/// where a known sensor's is published `ok` in its own boot's stream (the simulator's verifier
/// failed on it, a backlog of new sensors with restarts and reordering); and a sensor without
/// `boot` had an earlier epoch's reading taken into the new one, estimates made up to it, and
/// the real reading of its seq later dropped as a duplicate.
@Suite("A new sensor's earlier epoch inside its first-sight hold")
struct FirstSightEpochsTests {
    @Test("an earlier boot's reading behind a new sensor's first reading is published ok in its own boot, before the new boot's stream")
    func earlierBootPublished() {
        var h = Harness { $0.reorderWindowMs = 2000 }
        let t: Int64 = 1_795_660_000_000
        #expect(h.send("z1", seq: 0, ts: t + 1000, boot: 2).cleaned.isEmpty, "held")
        let straggler = h.send("z1", seq: 0, ts: t, boot: 1, at: h.now + 10)
        #expect(straggler.of(.deadLetter).isEmpty, "not dead-lettered: \(straggler.of(.deadLetter).map { String(decoding: $0.payload, as: UTF8.self) })")
        h.send("z1", seq: 1, ts: t + 2000, boot: 2, at: h.now + 10)
        h.run(for: 5000)
        let out = h.log.cleaned.map { "\($0.json["boot"] as? Int ?? -1)/\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(out == ["1/0:ok", "2/0:ok", "2/1:ok"])
        #expect(h.log.of(.deadLetter).isEmpty)
    }

    @Test("a new sensor's boot counter reset (an earlier boot value, a later time) still starts a new epoch")
    func resetBootStillNewEpoch() {
        var h = Harness { $0.reorderWindowMs = 2000 }
        let t: Int64 = 1_795_660_000_000
        h.send("z2", seq: 5, ts: t, boot: 7)
        h.send("z2", seq: 0, ts: t + 5000, boot: 1, at: h.now + 10)
        h.run(for: 5000)
        let out = h.log.cleaned.map { "\($0.json["boot"] as? Int ?? -1)/\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(out == ["7/5:ok", "1/0:ok"])
    }

    @Test(
        "without boot: a reading past a gap after the held seqs, stamped earlier than the lowest held, is of an earlier epoch: dead-lettered too_late, nothing estimated up to it"
    )
    func earlierEpochWithoutBoot() {
        var h = Harness { $0.reorderWindowMs = 2000 }
        let t: Int64 = 1_795_660_000_000
        h.send("z5", seq: 0, ts: t + 3000)
        let straggler = h.send("z5", seq: 7, ts: t + 1000, at: h.now + 10)
        #expect(straggler.of(.deadLetter).map(\.reason) == ["too_late"])
        h.send("z5", seq: 1, ts: t + 4000, at: h.now + 10)
        h.run(for: 5000)
        #expect(h.log.summary == ["0:ok", "1:ok"], "no estimates made up to the earlier epoch's seq 7")
        // The sensor's own seqs 2-7, later, go out as readings (seq 7 too: not a duplicate).
        for seq in 2...7 { h.send("z5", seq: seq, ts: t + 3000 + Int64(seq) * 1000, at: h.now + 10) }
        h.run(for: 3000)
        #expect(h.log.summary == (0...7).map { "\($0):ok" })
    }
}
