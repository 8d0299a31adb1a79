import Foundation
import Testing

@testable import Recovery

/// CONTRACT section 4: a reading arriving after its seq went out `synthetic`, within the late
/// horizon, is published `restated`. A sensor restart in between (a new `boot`) used to end
/// that promise: the late reading of the closed boot was dead-lettered `too_late`.
@Suite("Restatements after a sensor restart")
struct ClosedEpochRestatementTests {
    static let base: Int64 = 1_795_660_000_000

    /// Boot 1 sends seqs 0-4 without 2, which goes out `synthetic`; then the sensor restarts
    /// (boot 2, two minutes on), which closes boot 1's aggregate window.
    static func restartedAfterFill(_ configure: (inout EngineConfiguration) -> Void = { _ in }) -> Harness {
        var h = Harness(configure)
        for seq in [0, 1, 3, 4] { h.send(seq: seq, temp: 52, ts: base + Int64(seq) * 1000, boot: 1) }
        h.advance(2000)
        h.advance(2000)
        h.send(seq: 0, temp: 53, ts: base + 120_000, boot: 2)
        h.advance(2000)
        return h
    }

    static func window(of ts: Int64, in log: [Publication]) -> [[String: Any]] {
        let start = ts - ((ts % 60_000) + 60_000) % 60_000
        return log.of(.aggregate).map(\.json).filter { ($0["window_start"] as? NSNumber)?.int64Value == start }
    }

    @Test("a late reading of the boot before restates its synthetic seq under that boot, and revises its aggregate window")
    func restatedUnderTheClosedBoot() throws {
        var h = Self.restartedAfterFill()
        #expect(h.log.summary == ["0:ok", "1:ok", "2:synthetic", "3:ok", "4:ok", "0:ok"])
        let before = try #require(Self.window(of: Self.base, in: h.log).last)
        #expect(before["synthetic"] as? Int == 1 && before["revision"] as? Int == 0)

        let late = h.send(seq: 2, temp: 51.5, ts: Self.base + 2000, boot: 1)
        let restated = try #require(late.cleaned.first)
        #expect(late.cleaned.count == 1)
        #expect(restated.quality == "restated" && restated.seq == 2 && restated.temperature == 51.5)
        #expect(restated.json["boot"] as? Int == 1 && restated.json["supersedes"] as? String == "synthetic")
        #expect(late.of(.latest).isEmpty, "an older reading never replaces the last value")
        let revised = try #require(Self.window(of: Self.base, in: late).last)
        #expect(revised["synthetic"] as? Int == 0 && revised["ok"] as? Int == 5 && revised["count"] as? Int == 5)
        #expect(revised["revision"] as? Int == 1)

        // Once restated, the same reading again is a duplicate; an `ok` seq of the closed boot
        // is still too late, as before.
        #expect(h.send(seq: 2, temp: 51.5, ts: Self.base + 2000, boot: 1).isEmpty)
        #expect(h.send(seq: 1, temp: 52, ts: Self.base + 1000, boot: 1).first?.reason == "too_late")
        // The new boot's own seq 2 is its own, not taken for the old one.
        let next = h.send(seq: 1, temp: 53, ts: Self.base + 121_000, boot: 2) + h.send(seq: 2, temp: 53, ts: Self.base + 122_000, boot: 2)
        #expect(next.summary == ["1:ok", "2:ok"])
    }

    @Test("the closed boot's estimates survive a snapshot: restated after a restore as without one")
    func acrossSnapshot() throws {
        var h = Self.restartedAfterFill()
        try h.restoreFromSnapshot()
        let late = h.send(seq: 2, temp: 51.5, ts: Self.base + 2000, boot: 1)
        #expect(late.summary == ["2:restated"])
        let revised = try #require(Self.window(of: Self.base, in: late).last)
        #expect(revised["synthetic"] as? Int == 0 && revised["revision"] as? Int == 1)
    }

    @Test("past the late horizon, or from a boot two restarts back, a late reading is too_late")
    func tooLateStill() {
        var h = Self.restartedAfterFill { $0.lateHorizonMs = 10_000 }
        h.advance(20_000)
        #expect(h.send(seq: 2, temp: 51.5, ts: Self.base + 2000, boot: 1).first?.reason == "too_late")

        var twice = Self.restartedAfterFill()
        twice.send(seq: 0, temp: 53, ts: Self.base + 240_000, boot: 3)
        twice.advance(2000)
        #expect(twice.send(seq: 2, temp: 51.5, ts: Self.base + 2000, boot: 1).first?.reason == "too_late")
    }

    @Test("a reading of the closed boot later than anything it sent is a reset boot counter, not a late reading")
    func laterThanTheClosedBoot() {
        var h = Self.restartedAfterFill()
        // Boot 1 again, after boot 2's readings in time: a new epoch, as before.
        let out = h.send(seq: 2, temp: 54, ts: Self.base + 200_000, boot: 1) + h.advance(2000)
        #expect(!out.cleaned.contains { $0.quality == "restated" })
        #expect(out.cleaned.last.map { $0.seq == 2 && $0.quality == "ok" && $0.json["boot"] as? Int == 1 } == true)
    }

    @Test(
        "seqs skipped in the closed boot's delivered tail go out as a gap; their readings, when they come, restate it (found black-box, 43rd review: too_late)")
    func tailGapRestated() {
        var h = Harness()
        for seq in 0...3 { h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 1000, boot: 1) }
        h.advance(2000)
        // Boot 2 begins; boot 1's seq 5 arrives just behind it (seq 4 still on its way).
        h.send(seq: 0, temp: 53, ts: Self.base + 60_000, boot: 2, at: h.now + 1000)
        let tail = h.send(seq: 5, temp: 52, ts: Self.base + 5000, boot: 1, at: h.now + 50)
        #expect(tail.summary == ["4:gap", "5:ok"])
        let late = h.send(seq: 4, temp: 52.5, ts: Self.base + 4000, boot: 1, at: h.now + 1500)
        #expect(late.summary == ["4:restated"])
        #expect(late.cleaned.first?.json["supersedes"] as? String == "gap" && late.cleaned.first?.json["boot"] as? Int == 1)
        #expect(h.send(seq: 4, temp: 52.5, ts: Self.base + 4000, boot: 1).isEmpty)
    }

    @Test("a new sensor's holes are asked for when a new boot ends its first-sight hold, before they are filled (found black-box, 43rd review: filled unasked)")
    func holdEndedByNewBoot() {
        var h = Harness()
        for seq in [0, 1, 3] { h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 1000, boot: 1, at: h.now + 50) }
        let reboot = h.send(seq: 0, temp: 53, ts: Self.base + 60_000, boot: 2, at: h.now + 50)
        #expect(reboot.of(.resendRequest).map(\.text) == ["{\"from_seq\":2,\"to_seq\":2,\"measurement\":\"temperature\"}"])
        #expect(reboot.summary == ["0:ok", "1:ok", "2:synthetic", "3:ok", "0:ok"])
        // The sensor kept its buffer across the reboot: its answer restates the fill.
        #expect(h.send(seq: 2, temp: 52.2, ts: Self.base + 2000, boot: 1).summary == ["2:restated"])
    }

    @Test(
        "a stale sensor heard again through a late reading of its closed boot is live at its current boot's seq (found black-box, 43rd review: the old boot's seq)"
    )
    func liveNamesTheCurrentBoot() {
        var h = Self.restartedAfterFill()
        h.send(seq: 1, temp: 53, ts: Self.base + 121_000, boot: 2)
        h.run(for: 120_000)
        #expect(h.log.of(.sensorState).last?.text.contains("\"stale\"") == true)
        let back = h.send(seq: 3, temp: 52, ts: Self.base + 3000, boot: 1)
        #expect(back.of(.deadLetter).first?.reason == "too_late")
        #expect(back.of(.sensorState).map(\.text) == ["{\"state\":\"live\",\"last_seq\":1,\"last_seen\":\(h.now)}"])
    }

    @Test(
        "the closed boot's delivered tail, far behind the new boot's readings, revises its own window and leaves the new boot's open (found black-box, 43rd review: closed at once, then revised at every reading)"
    )
    func tailLeavesTheNewBootsWindowOpen() {
        var h = Harness { $0.aggregateWindowMs = 10_000 }
        for seq in 0...3 { h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 1000, boot: 1, at: h.now + 100) }
        h.advance(2000)
        h.send(seq: 0, temp: 53, ts: Self.base + 70_000, boot: 2, at: h.now + 100)
        h.send(seq: 1, temp: 53, ts: Self.base + 71_000, boot: 2, at: h.now + 100)
        let tail = h.send(seq: 4, temp: 52, ts: Self.base + 4000, boot: 1, at: h.now + 100)
        #expect(tail.summary == ["4:ok"])
        let starts = tail.of(.aggregate).compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value }
        #expect(starts == [Self.base], "\(tail.of(.aggregate).map(\.text))")
        // Boot 2's window goes out once, when its readings pass its end.
        h.send(seq: 2, temp: 53, ts: Self.base + 80_500, boot: 2, at: h.now + 100)
        let boot2 = h.log.of(.aggregate).filter { ($0.json["window_start"] as? NSNumber)?.int64Value == Self.base + 70_000 }
        #expect(boot2.map { $0.json["revision"] as? Int } == [0] && boot2.first?.json["count"] as? Int == 2)
    }
}
