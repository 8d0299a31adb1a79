import Foundation
import Testing
@testable import Recovery

/// Scripted streams with a fake clock, asserting the exact output.
@Suite("Recovery engine scenarios")
struct ScenarioTests {
    static let base: Int64 = 1_795_660_000_000

    /// A sensor whose seq 0 (52 °C) has been released after the first-sight hold.
    static func started(_ configure: (inout EngineConfiguration) -> Void = { _ in }) -> Harness {
        var h = Harness(configure)
        h.send(seq: 0, temp: 52)
        h.advance(2000)
        return h
    }

    /// Found black-box (68th review): the true value, sent 0.3 s after a faulty one (twice)
    /// under the same seq, was dead-lettered `bad_value:seq`, and the `corrected` estimate stood.
    @Test(
        "an out-of-range reading held for its estimate, then an in-range one under its seq: the real value is published ok, the out-of-range one alone dead-lettered"
    )
    func inRangeReplacesHeldOutOfRange() {
        var h = Self.started()
        // Seq 1 waits for its right neighbour (seq 2) to be estimated.
        #expect(h.send(seq: 1, temp: 85.5).of(.deadLetter).map(\.reason) == ["out_of_range"])
        #expect(h.send(seq: 1, temp: 85.5).of(.deadLetter).isEmpty, "a copy of it is a duplicate")
        let real = h.send(seq: 1, temp: 51.6)
        #expect(real.of(.deadLetter).isEmpty, "\(real.of(.deadLetter).map(\.text))")
        #expect(real.summary == ["1:ok"] && real.cleaned.first?.temperature == 51.6, "\(real.summary)")
        h.send(seq: 2, temp: 52)
        h.advance(5000)
        #expect(h.log.summary == ["0:ok", "1:ok", "2:ok"], "\(h.log.summary)")
        #expect(h.log.of(.deadLetter).map(\.reason) == ["out_of_range"])
        // The other way round, a second reading under a seq held in range, stays a contradiction.
        h.send(seq: 4, temp: 52)
        #expect(h.send(seq: 4, temp: 85.5).of(.deadLetter).map(\.reason) == ["bad_value:seq"])
    }

    @Test("a new sensor is held one reorder window, then starts at the lowest seq seen")
    func firstSight() {
        var h = Harness()
        #expect(h.send(seq: 5).isEmpty)
        #expect(h.send(seq: 3).isEmpty)
        #expect(h.send(seq: 4).isEmpty)
        #expect(h.advance(1999).isEmpty)
        #expect(h.advance(1).summary == ["3:ok", "4:ok", "5:ok"])
    }

    @Test("holes among a new sensor's first readings are requested when it starts, and get a full window")
    func firstSightHoles() {
        var h = Harness()
        h.send(seq: 10)
        h.send(seq: 13)
        let start = h.advance(2000)
        #expect(start.summary == ["10:ok"])
        #expect(start.of(.resendRequest).map(\.text) == ["{\"from_seq\":11,\"to_seq\":12,\"measurement\":\"temperature\"}"])
        #expect(h.send(seq: 11).summary == ["11:ok"])
        #expect(h.advance(1999).isEmpty)
        #expect(h.advance(1).summary == ["12:synthetic", "13:ok"])
    }

    @Test("readings out of order are released in seq order; a gap asks for a resend once")
    func reorder() {
        var h = Self.started()
        #expect(h.send(seq: 1).summary == ["1:ok"])
        let gap = h.send(seq: 3)
        #expect(gap.map(\.topic) == ["sensors/s1/resend"])
        #expect(gap.first?.text == "{\"from_seq\":2,\"to_seq\":2,\"measurement\":\"temperature\"}")
        #expect(h.send(seq: 4).isEmpty)
        #expect(h.send(seq: 2).summary == ["2:ok", "3:ok", "4:ok"])
        #expect(h.log.of(.resendRequest).count == 1)
    }

    @Test("a gap still open when the window closes is filled by linear interpolation in value and time")
    func linearFill() {
        var h = Harness()
        h.send(seq: 0, temp: 50)
        h.advance(2000)
        h.send(seq: 1, temp: 51)
        h.send(seq: 4, temp: 54)
        #expect(h.advance(1999).isEmpty)
        let out = h.advance(1)
        #expect(
            out.cleaned.map(\.text) == [
                "{\"sensor_id\":\"s1\",\"seq\":2,\"ts\":\(Self.base + 2000),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"synthetic\",\"method\":\"linear\"}",
                "{\"sensor_id\":\"s1\",\"seq\":3,\"ts\":\(Self.base + 3000),\"temperature\":53.0,\"status\":\"normal\",\"quality\":\"synthetic\",\"method\":\"linear\"}",
                "{\"sensor_id\":\"s1\",\"seq\":4,\"ts\":\(Self.base + 4000),\"temperature\":54.0,\"status\":\"normal\",\"quality\":\"ok\"}",
            ])
    }

    @Test("locf repeats the last valid value")
    func locfFill() {
        var h = Self.started { $0.fill = .locf }
        h.send(seq: 1, temp: 51.25)
        h.send(seq: 3, temp: 54)
        #expect(h.advance(2000).cleaned.map(\.temperature) == [51.25, 54])
    }

    @Test("distribution fill is reproducible from sensor, boot and seq, and stays in range")
    func distributionFill() {
        func run() -> [Publication] {
            var h = Harness { $0.fill = .distribution }
            for seq in 0..<20 { h.send(seq: seq, temp: 50 + Double(seq % 6)) }
            h.advance(2000)
            h.send(seq: 40, temp: 52)
            h.advance(2000)
            return h.log
        }
        let first = run()
        #expect(first == run())
        let synthetic = first.cleaned.filter { $0.quality == "synthetic" }
        #expect(synthetic.count == 20)
        #expect(synthetic.allSatisfy { $0.json["method"] as? String == "distribution" && (50...55).contains($0.temperature!) })
        #expect(Set(synthetic.map(\.temperature)).count > 1)
    }

    @Test("more than max_fill missing readings become one gap message, no invented readings")
    func gapMessage() {
        var h = Self.started { $0.maxFill = 3 }
        h.send(seq: 10)
        let out = h.advance(2000)
        #expect(
            out.cleaned.map(\.text) == [
                "{\"sensor_id\":\"s1\",\"seq\":1,\"ts\":\(Self.base),\"quality\":\"gap\",\"from_seq\":1,\"to_seq\":9,\"from_ts\":\(Self.base),\"to_ts\":\(Self.base + 10000)}",
                "{\"sensor_id\":\"s1\",\"seq\":10,\"ts\":\(Self.base + 10000),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"ok\"}",
            ])
    }

    @Test("an out-of-range value is dead-lettered and published corrected from its neighbours")
    func outOfRange() {
        var h = Self.started()
        let bad = h.send(seq: 1, temp: 99.5)
        #expect(bad.map(\.kind) == [.deadLetter])
        #expect(bad.first?.reason == "out_of_range")
        let out = h.send(seq: 2, temp: 54)
        #expect(
            out.cleaned.map(\.text) == [
                "{\"sensor_id\":\"s1\",\"seq\":1,\"ts\":\(Self.base + 1000),\"temperature\":53.0,\"status\":\"normal\",\"quality\":\"corrected\",\"raw\":99.5,\"reason\":\"out_of_range\"}",
                "{\"sensor_id\":\"s1\",\"seq\":2,\"ts\":\(Self.base + 2000),\"temperature\":54.0,\"status\":\"normal\",\"quality\":\"ok\"}",
            ])
    }

    @Test("an out-of-range value with no right neighbour in time is corrected from the left one")
    func outOfRangeAlone() {
        var h = Self.started()
        h.send(seq: 1, temp: -40)
        #expect(h.advance(1999).cleaned.isEmpty)
        let out = h.advance(1)
        #expect(out.summary == ["1:corrected"])
        #expect(out.first?.temperature == 52)
        #expect(out.first?.json["raw"] as? Double == -40)
    }

    @Test("a late real reading restates its synthetic value once; again it is a duplicate")
    func restatement() {
        var h = Self.started()
        h.send(seq: 2, temp: 52)
        #expect(h.advance(2000).summary == ["1:synthetic", "2:ok"])
        let late = h.send(seq: 1, temp: 51.5)
        #expect(
            late.cleaned.map(\.text) == [
                "{\"sensor_id\":\"s1\",\"seq\":1,\"ts\":\(Self.base + 1000),\"temperature\":51.5,\"status\":\"normal\",\"quality\":\"restated\",\"supersedes\":\"synthetic\"}"
            ])
        #expect(h.send(seq: 1, temp: 51.5).isEmpty)
        #expect(h.engine.counters.duplicates == 1)
    }

    @Test("later than the late horizon a reading is dead-lettered too_late")
    func tooLate() {
        var h = Self.started { $0.lateHorizonMs = 10_000 }
        h.send(seq: 2)
        h.advance(2000)
        h.advance(10_001)
        let out = h.send(seq: 1).of(.deadLetter)
        #expect(out.count == 1)
        #expect(out.first?.reason == "too_late")
    }

    @Test("exact duplicates, released or still held, are dropped and counted")
    func duplicates() {
        var h = Self.started()
        h.send(seq: 1)
        #expect(h.send(seq: 1).isEmpty)
        h.send(seq: 3)
        #expect(h.send(seq: 3).isEmpty)
        #expect(h.send(seq: 0).isEmpty)
        #expect(h.engine.counters.duplicates == 3)
        #expect(h.log.of(.deadLetter).isEmpty)
    }

    @Test("a new boot starts a new epoch from 0: its missing first readings are requested and filled from the right")
    func restartWithBoot() {
        var h = Harness()
        h.send(seq: 7, temp: 51, boot: 1)
        h.advance(2000)
        h.send(seq: 8, temp: 51, boot: 1)
        let reboot = h.send(seq: 2, temp: 53, ts: Self.base + 60_000, boot: 2)
        #expect(reboot.of(.resendRequest).map(\.text) == ["{\"from_seq\":0,\"to_seq\":1,\"measurement\":\"temperature\"}"])
        let out = h.advance(2000)
        #expect(out.summary == ["0:synthetic", "1:synthetic", "2:ok"])
        #expect(out.cleaned.allSatisfy { $0.json["boot"] as? Int == 2 })
        #expect(out.cleaned.prefix(2).allSatisfy { $0.temperature == 53 })
        #expect(h.send(seq: 9, temp: 51, boot: 1).first?.reason == "too_late")
    }

    @Test("a boot counter that was reset (a smaller boot with later readings) starts a new epoch; late copies of either boot stay too_late")
    func bootCounterReset() {
        var h = Harness()
        for seq in 0...3 { h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 1000, boot: 7) }
        h.advance(2000)
        // The counter was reset (an EEPROM reset, or 65535 wrapping to 0): every reading of boot
        // 3 was dead-lettered too_late for good before (found black-box).
        var out: [Publication] = []
        for seq in 0...3 { out += h.send(seq: seq, temp: 53, ts: Self.base + 10_000 + Int64(seq) * 1000, boot: 3) }
        out += h.advance(2000)
        #expect(out.summary == ["0:ok", "1:ok", "2:ok", "3:ok"])
        #expect(out.cleaned.allSatisfy { $0.json["boot"] as? Int == 3 })
        // A delayed copy of the retired boot 7, or of an older boot 2: late, not a new epoch.
        #expect(h.send(seq: 2, temp: 52, ts: Self.base + 2000, boot: 7).first?.reason == "too_late")
        #expect(h.send(seq: 1, temp: 52, ts: Self.base + 1000, boot: 2).first?.reason == "too_late")
        // The sensor's next real restarts count up from 3 again, later in time: new epochs.
        let next = h.send(seq: 0, temp: 54, ts: Self.base + 20_000, boot: 4)
        #expect(!next.contains { $0.reason == "too_late" })
        #expect(h.advance(2000).cleaned.allSatisfy { $0.json["boot"] as? Int == 4 })
    }

    @Test(
        "an epoch under a boot value an earlier epoch had starts at its first reading: no estimate for a (boot, seq) published ok before (found black-box: two devices under one id, boot 1 seq 0 came out ok, then synthetic again and again)"
    )
    func reusedBootIsNotFilledBelowItsStart() {
        var h = Harness()
        var out: [Publication] = []
        // Two devices under one id: boot 1 counts up from 0, boot 2 from 3, turn about, each
        // reading later in time than the one before.
        for i in 0..<6 {
            out += h.send(seq: i, temp: 52, ts: Self.base + Int64(i) * 1000, boot: 1)
            out += h.send(seq: i + 3, temp: 53, ts: Self.base + Int64(i) * 1000 + 500, boot: 2)
            out += h.advance(2000)
        }
        var published: [String: String] = [:]
        for m in out.cleaned {
            let key = "\(m.json["boot"] ?? "-")/\(m.json["seq"] ?? "-")"
            let quality = m.json["quality"] as? String ?? "?"
            if let before = published[key], before == "ok" || quality != "restated" {
                Issue.record("boot/seq \(key) went out \(before), then \(quality)")
            }
            published[key] = quality
        }
        // Only the first epoch of boot 2 was filled below its start (0-2: a new, larger boot).
        #expect(
            out.cleaned.filter { ($0.json["quality"] as? String) == "synthetic" }.map { "\($0.json["boot"] ?? "-")/\($0.json["seq"] ?? "-")" }.sorted() == [
                "2/0", "2/1", "2/2",
            ])
    }

    @Test(
        "an epoch under a boot value used again does not estimate a seq missing at or below the last one an earlier epoch of that boot released (found black-box: boot 0 seq 2 came out ok, then synthetic after a reset)"
    )
    func reusedBootGapBelowOldReleaseIsNotFilled() {
        var h = Harness()
        var out: [Publication] = []
        var ts = Self.base
        func send(_ seqs: [Int], boot: Int) {
            for seq in seqs {
                ts += 1000
                out += h.send(seq: seq, temp: 52, ts: ts, boot: boot)
            }
            out += h.advance(3000)
        }
        send(Array(0...5), boot: 0)
        send(Array(0...2), boot: 1)
        send([0, 1, 3, 4, 8], boot: 0)  // 2 missing (an earlier boot 0 released it), and 6-7 (it did not)
        let boot0 = out.cleaned.filter { ($0.json["boot"] as? Int) == 0 }.map { "\($0.json["seq"] ?? "-"):\($0.json["quality"] ?? "-")" }
        #expect(boot0 == ["0:ok", "1:ok", "2:ok", "3:ok", "4:ok", "5:ok", "0:ok", "1:ok", "3:ok", "4:ok", "6:synthetic", "7:synthetic", "8:ok"], "\(boot0)")
    }

    @Test(
        "in such an epoch, the real reading for a seq skipped there (not estimated) arriving after its window is dead-lettered too_late, not dropped as a duplicate (found black-box, 62nd review)"
    )
    func reusedBootSkippedSeqArrivingLateIsTooLate() {
        var h = Harness()
        var ts = Self.base
        for seq in 0...5 {
            ts += 1000
            h.send(seq: seq, temp: 52, ts: ts, boot: 5)
        }
        h.advance(3000)
        // The same boot from 0 again, later in time (a boot counter not kept); 2 missing.
        let again = ts + 20_000
        var skipped: [Publication] = []
        for seq in [0, 1, 3, 4] { skipped += h.send(seq: seq, temp: 53, ts: again + Int64(seq) * 1000, boot: 5) }
        skipped += h.advance(3000)
        #expect(skipped.summary == ["0:ok", "1:ok", "3:ok", "4:ok"], "\(skipped.summary)")
        // Its seq 2 turns up after the window: too late to place, and said so.
        let late = h.send(seq: 2, temp: 53.2, ts: again + 2000, boot: 5)
        #expect(late.first?.reason == "too_late", "\(late)")
        // A network copy of a seq this epoch did publish is still a duplicate.
        #expect(h.send(seq: 3, temp: 53, ts: again + 3000, boot: 5).isEmpty)
    }

    @Test("without boot, seq falling back to 0 or past the reset threshold starts a new epoch")
    func restartWithoutBoot() {
        var h = Self.started()
        for seq in 1...3 { h.send(seq: seq) }
        #expect(h.send(seq: 0, ts: Self.base + 100_000).summary == ["0:ok"])
        #expect(h.send(seq: 1, ts: Self.base + 101_000).summary == ["1:ok"])

        // A fall by more than the threshold to a seq the gateway never asked for (1-1500 came in order).
        var t = Self.started()
        for seq in 1...1500 { t.send(seq: seq) }
        t.advance(2000)
        t.send(seq: 2, ts: Self.base + 500_000)
        let out = t.advance(2000)
        #expect(out.summary == ["0:synthetic", "1:synthetic", "2:ok"])

        // A fall into a gap the gateway asked to be resent is the answer, not a reset (issue 29):
        // 1-1499 came out as one gap, so the real 2 restates it.
        var u = Self.started()
        u.send(seq: 1500)
        u.advance(2000)
        #expect(u.send(seq: 2, ts: Self.base + 500_000).summary == ["2:restated"])
        #expect(u.advance(2000).summary.isEmpty)
    }

    @Test("a silent sensor gets one open-ended resend request and a retained stale state; live again when it resumes")
    func stale() {
        var h = Harness()
        for seq in 0..<5 { h.send(seq: seq, at: h.now + 1000) }
        h.advance(2000)
        let last = h.now - 2000
        #expect(h.advance(2999).isEmpty)
        let out = h.advance(1)
        #expect(out.map(\.topic) == ["sensors/s1/resend", "gateway/gw/sensors/s1"])
        #expect(out.first?.text == "{\"from_seq\":5,\"measurement\":\"temperature\"}")
        #expect(out.last?.text == "{\"state\":\"stale\",\"last_seq\":4,\"last_seen\":\(last)}")
        #expect(out.last?.retain == true)
        #expect(h.advance(60_000).isEmpty)
        let back = h.send(seq: 5)
        #expect(back.first?.text == "{\"state\":\"live\",\"last_seq\":5,\"last_seen\":\(h.now)}")
        #expect(back.summary == ["5:ok"])
    }

    @Test("a stale sensor back under a new boot: its live state names the new boot's seq, not the old boot's highest (found black-box)")
    func liveAfterReboot() {
        var h = Harness()
        for seq in 0..<5 { h.send(seq: seq, boot: 1, at: h.now + 1000) }
        h.advance(2000)
        h.advance(3000)
        #expect(h.log.of(.sensorState).last?.text.contains("\"stale\"") == true)
        let back = h.send(seq: 0, ts: 1_795_660_100_000, boot: 2)
        #expect(back.first?.text == "{\"state\":\"live\",\"last_seq\":0,\"last_seen\":\(h.now)}")
    }

    @Test("a new sensor heard only in one burst (no period learned) is stale after 60 s: its lost tail is asked for")
    func staleWithoutPeriod() {
        var h = Harness()
        // Seqs 0-9 of 20 arrive at one instant (a reconnecting sensor's queue); 10-19 are lost.
        for seq in 0..<10 { h.send(seq: seq) }
        let last = h.now
        var before: [Publication] = []
        for _ in 0..<59 { before += h.advance(1000) }
        #expect(!before.contains { $0.topic == "gateway/gw/sensors/s1" }, "\(before.map(\.text))")
        let out = h.advance(1000)
        #expect(out.map(\.topic) == ["sensors/s1/resend", "gateway/gw/sensors/s1"])
        #expect(out.first?.text == "{\"from_seq\":10,\"measurement\":\"temperature\"}")
        #expect(out.last?.text == "{\"state\":\"stale\",\"last_seq\":9,\"last_seen\":\(last)}")
        // Its answer comes in order, after the burst.
        #expect(h.send(seq: 10).summary.contains("10:ok"))
    }

    @Test("aggregate windows close when readings pass their end; a restatement republishes with revision + 1")
    func aggregates() {
        var h = Harness { $0.aggregateWindowMs = 10_000 }
        h.send(seq: 0, temp: 50)
        h.advance(2000)
        for seq in 1...9 where seq != 4 { h.send(seq: seq, temp: 50 + Double(seq) / 2) }
        h.advance(2000)
        let close = h.send(seq: 10, temp: 51)
        let agg = close.of(.aggregate)
        #expect(agg.map(\.topic) == ["aggregates/s1/temperature/10s"])
        #expect(
            agg.first?.text
                == "{\"sensor_id\":\"s1\",\"window_start\":\(Self.base),\"window_end\":\(Self.base + 10000),\"count\":10,\"min\":50.0,\"max\":54.5,\"mean\":52.25,\"ok\":9,\"corrected\":0,\"synthetic\":1,\"revision\":0}"
        )
        let restate = h.send(seq: 4, temp: 55)
        #expect(restate.summary == ["4:restated"])
        #expect(
            restate.of(.aggregate).first?.text
                == "{\"sensor_id\":\"s1\",\"window_start\":\(Self.base),\"window_end\":\(Self.base + 10000),\"count\":10,\"min\":50.0,\"max\":55.0,\"mean\":52.55,\"ok\":10,\"corrected\":0,\"synthetic\":0,\"revision\":1}"
        )
    }

    @Test(
        "a late reading restating a gap over a window no reading had reached opens that window and publishes it at once, the sensor's readings being past its end (found black-box: not until the sensor sent again)"
    )
    func windowOpenedByGapRestatementClosesAtOnce() {
        var h = Harness {
            $0.aggregateWindowMs = 10_000
            $0.maxFill = 5
        }
        h.send(seq: 0, temp: 50)
        h.advance(2000)
        h.send(seq: 30, temp: 51)
        let gap = h.advance(3000)
        #expect(gap.summary.contains("1:gap") && gap.summary.contains("30:ok"), "\(gap.summary)")
        // The sensor falls silent; seq 15, measured in the window [10 s, 20 s), comes late.
        let late = h.send(seq: 15, temp: 53)
        #expect(late.summary == ["15:restated"])
        let windows = late.of(.aggregate).map(\.text)
        #expect(
            windows == [
                "{\"sensor_id\":\"s1\",\"window_start\":\(Self.base + 10000),\"window_end\":\(Self.base + 20000),\"count\":1,\"min\":53.0,\"max\":53.0,\"mean\":53.0,\"ok\":1,\"corrected\":0,\"synthetic\":0,\"revision\":0}"
            ], "\(windows)")
        // A second late reading in it revises what went out.
        let again = h.send(seq: 16, temp: 55)
        #expect(again.of(.aggregate).first?.json["revision"] as? Int == 1 && again.of(.aggregate).first?.json["count"] as? Int == 2)
    }

    @Test(
        "a reading without boot in the middle of an epoch that has one is published under the epoch's boot, so consumers keying on (sensor_id, boot, seq) see one stream (found black-box: seq 2 came out without boot)"
    )
    func bootlessReadingInBootEpoch() {
        var h = Harness()
        h.send(seq: 0, boot: 5)
        h.send(seq: 1, boot: 5)
        h.send(seq: 2)
        h.send(seq: 3, boot: 5)
        h.advance(3000)
        #expect(h.log.summary == ["0:ok", "1:ok", "2:ok", "3:ok"], "\(h.log.summary)")
        #expect(h.log.cleaned.map { $0.json["boot"] as? Int } == [5, 5, 5, 5], "\(h.log.cleaned.map(\.text))")
    }

    @Test("seq 0 then 10^15 costs one gap message, not memory")
    func hugeJump() {
        var h = Self.started()
        h.send(seq: 1_000_000_000_000_000, ts: Self.base + 5000)
        let out = h.advance(2000)
        #expect(out.summary == ["1:gap", "1000000000000000:ok"])
        #expect(out.first?.json["to_seq"] as? Int == 999_999_999_999_999)
    }

    @Test("a flood of far-ahead readings is bounded by max held per sensor")
    func heldBound() {
        var h = Self.started { $0.maxHeldPerSensor = 50 }
        for seq in stride(from: 1000, through: 1100, by: 1) { h.send(seq: seq) }
        #expect(h.log.cleaned.count > 50)
        #expect(h.engine.nextDeadline() == nil || h.log.summary.last == "1100:ok")
    }
}
