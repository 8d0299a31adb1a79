import Foundation
import Testing

@testable import Recovery

/// The retained last value on `latest/<sensor>/temperature` (CONTRACT.md section 10): a copy of
/// the cleaned message newest by `ts`, never replaced by an older reading, late or restated.
@Suite("The last value on latest/")
struct LatestValueTests {
    /// The `ts` of each `latest/` publication, in order.
    static func latestTimes(_ log: [Publication]) -> [Int64] {
        log.of(.latest).map { ($0.json["ts"] as? NSNumber)?.int64Value ?? -1 }
    }

    static func ts(_ seq: Int) -> Int64 { 1_795_660_000_000 + Int64(seq) * 1000 }

    /// Seqs 0, 1 and 3 sent, seq 2 filled: out as 0, 1, 2 (synthetic), 3.
    static func secondSeqFilled() -> Harness {
        var h = Harness()
        for seq in [0, 1, 3] { h.send(seq: seq) }
        h.advance(3000)
        h.advance(3000)
        return h
    }

    @Test("each reading published in order goes to latest/ too: the cleaned message's bytes, retained")
    func inOrder() {
        var h = Harness()
        for seq in 0..<3 { h.send(seq: seq, temp: 52 + Double(seq) / 10) }
        h.advance(3000)
        let cleaned = h.log.cleaned
        let latest = h.log.of(.latest)
        #expect(cleaned.count == 3)
        #expect(latest.map(\.payload) == cleaned.map(\.payload))
        #expect(latest.allSatisfy { $0.retain && $0.topic == "latest/s1/temperature" })
    }

    @Test("each reading's latest/ copy comes before its cleaned/ message, so a kill between the two leaves latest/ ahead, never behind")
    func latestBeforeCleaned() {
        var h = Self.secondSeqFilled()
        let pairs = h.log.filter { $0.kind == .latest || $0.kind == .cleaned }
        #expect(pairs.count == 8)
        for i in stride(from: 0, to: pairs.count - 1, by: 2) {
            #expect(pairs[i].kind == .latest && pairs[i + 1].kind == .cleaned, "publication \(i): \(pairs[i].topic), then \(pairs[i + 1].topic)")
            #expect(pairs[i].payload == pairs[i + 1].payload)
        }
        h.send(seq: 2, temp: 53)
        let after = h.log.filter { $0.kind == .latest || $0.kind == .cleaned }
        #expect(after.dropFirst(pairs.count).map(\.kind) == [.cleaned], "a restatement older than latest/ goes to cleaned/ only")
    }

    @Test("a fill goes to latest/ as it is published; the real reading that restates it later, being older, does not")
    func restatedOlderDoesNotReplace() {
        var h = Self.secondSeqFilled()
        #expect(h.log.summary == ["0:ok", "1:ok", "2:synthetic", "3:ok"])
        #expect(Self.latestTimes(h.log) == [Self.ts(0), Self.ts(1), Self.ts(2), Self.ts(3)])
        h.send(seq: 2, temp: 53)
        #expect(h.log.summary.last == "2:restated")
        #expect(Self.latestTimes(h.log) == [Self.ts(0), Self.ts(1), Self.ts(2), Self.ts(3)], "the restated seq 2 replaced seq 3's value")
    }

    @Test("a sensor whose clock steps back: its readings stream on cleaned/, latest/ waits until ts passes the newest again")
    func clockStepBack() {
        var h = Harness()
        h.send(seq: 0, ts: Self.ts(10))
        h.send(seq: 1, ts: Self.ts(11))
        h.send(seq: 2, ts: Self.ts(5))
        h.send(seq: 3, ts: Self.ts(12))
        h.advance(3000)
        #expect(h.log.summary == ["0:ok", "1:ok", "2:ok", "3:ok"])
        #expect(Self.latestTimes(h.log) == [Self.ts(10), Self.ts(11), Self.ts(12)])
    }

    @Test("across a snapshot the newest ts is kept: a late older reading after the restore does not replace it")
    func keptAcrossSnapshot() throws {
        var h = Self.secondSeqFilled()
        try h.restoreFromSnapshot()
        let before = h.log.count
        h.send(seq: 2, temp: 53)
        let after = Array(h.log[before...])
        #expect(after.cleaned.map(\.quality) == ["restated"])
        #expect(after.of(.latest).isEmpty)
        h.send(seq: 4)
        h.advance(3000)
        #expect(Self.latestTimes(Array(h.log[before...])) == [Self.ts(4)])
    }

    @Test(
        "a sensor snapshot from before latest/ (no latest topic, no newest ts) decodes: the topic is derived, and an older reading still does not replace the last published one"
    )
    func olderSnapshot() throws {
        var h = Self.secondSeqFilled()
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(h.engine.sensorSnapshot(at: 0))) as? [String: Any])
        var state = try #require(json["state"] as? [String: Any])
        var topics = try #require(state["topics"] as? [String: Any])
        #expect(topics.removeValue(forKey: "latest") != nil)
        #expect(state.removeValue(forKey: "latestTs") != nil)
        state["topics"] = topics
        json["state"] = state
        let old = try JSONDecoder().decode(RecoveryEngine.SensorSnapshot.self, from: JSONSerialization.data(withJSONObject: json))
        let header = try JSONDecoder().decode(RecoveryEngine.SnapshotHeader.self, from: JSONEncoder().encode(h.engine.snapshotHeader))
        h.engine = RecoveryEngine(header: header, sensors: [old])
        let before = h.log.count
        h.send(seq: 2, temp: 53)
        h.send(seq: 4)
        h.advance(3000)
        let latest = Array(h.log[before...]).of(.latest)
        #expect(latest.map(\.topic) == ["latest/s1/temperature"])
        #expect(Self.latestTimes(latest) == [Self.ts(4)])
    }

    @Test("latest off: the cleaned stream alone; on again, latest/ resumes from the next newer reading")
    func off() {
        var h = Harness { $0.withoutLatest = true }
        for seq in 0..<3 { h.send(seq: seq) }
        h.advance(3000)
        #expect(h.log.cleaned.count == 3)
        #expect(h.log.of(.latest).isEmpty)
        var on = h.engine.configuration
        on.withoutLatest = nil
        var none: [Publication] = []
        h.engine.reconfigure(on, at: h.now, into: &none)
        #expect(none.isEmpty)
        h.send(seq: 3)
        #expect(Self.latestTimes(h.log) == [Self.ts(3)])
    }
    @Test(
        "a retained latest/ two boots past a known stream's: readings of the boot between, no later than the value, are too_late (that epoch closed before the value went out); the value's own boot continues it (aimed finding-8 seed 15161)"
    )
    func bootBetweenClosedByRetained() {
        var h = Harness()
        for seq in 0..<5 { h.send("a", seq: seq, boot: 1) }
        h.advance(3000)
        let ahead = h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 3, ts: Self.ts(40), boot: 3)])
        #expect(ahead.map(\.stream) == ["a"])
        var out = h.send("a", seq: 16, ts: Self.ts(30), boot: 2)
        #expect(out.of(.deadLetter).first?.reason == "too_late")
        #expect(out.cleaned.isEmpty)
        out = h.send("a", seq: 4, ts: Self.ts(41), boot: 3) + h.advance(3000)
        #expect(out.summary == ["0:gap", "4:ok"], "\(out.cleaned.map(\.text))")
        #expect(out.cleaned.first?.reason == "journal_damaged")
    }

    @Test(
        "the broker's retained latest/ past what the engine released (a data folder put back from an older copy): that stream's jump is one journal_damaged gap, also when the sensor rebooted since (the new epoch's), and latest/ stays at the broker's; streams behind it, an older boot's value or unknown sensors are left alone"
    )
    func publishedBeyondJournal() {
        var h = Harness()
        for seq in 0..<5 {
            h.send("a", seq: seq, boot: 1)
            h.send("b", seq: seq, boot: 1)
            h.send("c", seq: seq, boot: 2)
            h.send("d", seq: seq, boot: 1)
        }
        h.advance(3000)
        let ahead = h.engine.publishedBeyondJournal([
            "latest/a/temperature": .init(seq: 9, ts: Self.ts(9), boot: 1),  // published up to 9; the engine released 0-4
            "latest/b/temperature": .init(seq: 4, ts: Self.ts(4), boot: 1),  // what the engine released: whole
            "latest/c/temperature": .init(seq: 3, ts: Self.ts(3), boot: 1),  // an older boot, published before
            "latest/d/temperature": .init(seq: 9, ts: Self.ts(20), boot: 2),  // rebooted since, and its new epoch went out
            "latest/z/temperature": .init(seq: 9, ts: Self.ts(9), boot: 1),  // unknown here
            "latest/a/humidity": .init(seq: 9, ts: Self.ts(9), boot: 1),  // a measurement a has no stream of here
        ])
        #expect(ahead.map(\.stream) == ["a", "d"])
        #expect(ahead.first?.value == .init(seq: 9, ts: Self.ts(9), boot: 1))
        var out: [Publication] = []
        for seq in 10..<12 {
            out += h.send("a", seq: seq, boot: 1)
            out += h.send("b", seq: seq, boot: 1)
            out += h.send("d", seq: seq, ts: Self.ts(21 + seq), boot: 2)
        }
        out += h.advance(3000)
        out += h.advance(3000)
        let a = out.cleaned.filter { $0.json["sensor_id"] as? String == "a" }
        #expect(a.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" } == ["5:gap:journal_damaged", "10:ok:-", "11:ok:-"])
        let b = out.cleaned.filter { $0.json["sensor_id"] as? String == "b" }
        #expect(
            b.map { "\($0.seq ?? -1):\($0.quality ?? "?")" } == ["5:synthetic", "6:synthetic", "7:synthetic", "8:synthetic", "9:synthetic", "10:ok", "11:ok"])
        #expect(Self.latestTimes(out.filter { $0.topic == "latest/a/temperature" }) == [Self.ts(10), Self.ts(11)])
        let d = out.cleaned.filter { $0.json["sensor_id"] as? String == "d" }
        #expect(d.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" } == ["0:gap:journal_damaged", "10:ok:-", "11:ok:-"])
    }

    @Test(
        "a sensor new to the restored engine whose first readings here start past the seq after its retained latest/ of the same boot: the seqs between are asked for and covered (one journal_damaged gap, or the answer), not skipped (aimed finding-8 seed 84)",
        arguments: [false, true])
    func unknownSensorStartsPastRetainedSeq(answered: Bool) {
        var h = Harness()
        // The journal lost whole; the broker's latest/ shows seq 1 of boot 1 out, and seq 2 was
        // lost on the network.
        #expect(h.engine.publishedBeyondJournal(["latest/m/temperature": .init(seq: 1, ts: Self.ts(1), boot: 1)]).isEmpty)
        h.send("m", seq: 3, boot: 1)
        h.send("m", seq: 4, boot: 1)
        h.advance(2000)
        #expect(h.log.of(.resendRequest).map(\.text) == [#"{"from_seq":2,"to_seq":2,"measurement":"temperature"}"#])
        if answered { h.send("m", seq: 2, boot: 1) }
        h.advance(2000)
        let cleaned = h.log.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        #expect(cleaned == [answered ? "2:ok:-" : "2:gap:journal_damaged", "3:ok:-", "4:ok:-"], "\(cleaned)")
    }

    @Test(
        "a sensor that expires after a restart whose broker latest/ showed seqs out past what it held: back later, it continues after them with one journal_damaged gap, not estimates for seqs published ok (aimed finding-8 seed 168)"
    )
    func expiredAfterPublishedBeyondJournal() {
        var h = Harness { $0.sensorRetentionMs = 10_000 }
        // The restored engine holds seq 10 in its first-sight hold; the broker's latest/ shows 11 out.
        h.send("a", seq: 10, boot: 1)
        #expect(h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 11, ts: Self.ts(11), boot: 1)]).isEmpty)
        for _ in 0..<25 { h.advance(1000) }
        #expect(h.engine.counters.expired == 1)
        // Back a while later: it went on to 12 and 13.
        h.send("a", seq: 12, boot: 1)
        h.send("a", seq: 13, boot: 1)
        h.advance(3000)
        h.advance(3000)
        let cleaned = h.log.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        #expect(cleaned == ["10:gap:journal_damaged", "12:ok:-", "13:ok:-"], "\(cleaned)")
    }

    @Test(
        "a sensor the restored engine had forgotten (expired), whose broker latest/ shows seqs out past where it stopped: back after the restart, it is compared as a started stream is, so it goes on after them with one journal_damaged gap instead of publishing them again, an estimate for one lost on the way least of all (aimed finding-8 seed 1976)"
    )
    func forgottenBeforeRestartComesBack() {
        var h = Harness { $0.sensorRetentionMs = 10_000 }
        for seq in 0...2 { h.send("a", seq: seq, boot: 1) }
        h.advance(3000)
        for _ in 0..<25 { h.advance(1000) }
        #expect(h.engine.counters.expired == 1)
        // The snapshot holds this engine. After it, a's seqs 3-7 went out, then the journal's
        // newest records were lost; the restart reads the broker's latest/ (seq 7).
        #expect(h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 7, ts: Self.ts(7), boot: 1)]).isEmpty)
        // a comes back: copies of 3-5 (resend answers), 6 and 7 lost on the way, then 8 and 9.
        var out: [Publication] = []
        for seq in [3, 4, 5, 8, 9] { out += h.send("a", seq: seq, boot: 1) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        #expect(cleaned == ["3:gap:journal_damaged", "8:ok:-", "9:ok:-"], "\(cleaned)")
        #expect(out.cleaned.first?.json["to_seq"] as? Int == 7)
    }

    @Test(
        "a sensor without boot that reset to lower seqs: at a restart, the broker's retained latest/ of its old epoch (which the engine itself published) shows nothing lost, and the new epoch's readings come out, not dropped as duplicates (found black-box)",
        arguments: [false, true])
    func resetWithoutBootAcrossRestart(clockless: Bool) {
        var h = Harness()
        // The old epoch: seqs 100-120 (a clockless sensor: 2000-2020, its ts from its own start).
        let old = clockless ? 2000 : 100
        for seq in old...(old + 20) { h.send("n", seq: seq, ts: Self.ts(seq - old)) }
        h.advance(3000)
        #expect(Self.latestTimes(h.log).last == Self.ts(20))
        // It resets: seq 0 is lost, 1-3 arrive, later by ts (or, clockless, earlier), and wait
        // for seq 0 when the gateway restarts.
        let newTs = { (seq: Int) in clockless ? Self.ts(seq - 100) : Self.ts(40 + seq) }
        for seq in 1...3 { h.send("n", seq: seq, ts: newTs(seq)) }
        let ahead = h.engine.publishedBeyondJournal(["latest/n/temperature": .init(seq: UInt64(old + 20), ts: Self.ts(20), boot: nil)])
        #expect(ahead.isEmpty, "\(ahead)")
        var out: [Publication] = []
        for seq in 4...10 { out += h.send("n", seq: seq, ts: newTs(seq)) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(cleaned == ["0:synthetic"] + (1...10).map { "\($0):ok" }, "\(cleaned)")
        #expect(h.engine.counters.duplicates == 0)
    }

    @Test(
        "a sensor new to the engine, paced slower than its first-sight hold, below someone else's retained latest/: one journal_damaged gap through the retained seq, its later readings up to it duplicates, not a restart (found black-box: seqs 0-5 published twice, 0 and 1 synthetic over delivered readings; with boot, 3-5 dead-lettered bad_value:seq)",
        arguments: [nil, 1] as [Int?])
    func pacedBelowRetained(boot: Int?) {
        var h = Harness { $0.reorderWindowMs = 1000 }
        let retainedTs = Self.ts(100)
        #expect(h.engine.publishedBeyondJournal(["latest/m/temperature": .init(seq: 5, ts: retainedTs, boot: boot.map(Int64.init))]).isEmpty)
        var out: [Publication] = []
        for seq in 0...9 {
            out += h.send("m", seq: seq, ts: retainedTs - 60_000 + Int64(seq) * 1000, boot: boot)
            out += h.advance(500)
        }
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        #expect(cleaned == ["0:gap:journal_damaged"] + (6...9).map { "\($0):ok:-" }, "\(cleaned)")
        #expect(out.of(.deadLetter).isEmpty, "\(out.of(.deadLetter).map(\.text))")
        #expect(!out.of(.resendRequest).contains { $0.text.contains("\"from_seq\":0,") })
    }

    @Test(
        "a sensor new to the engine (with or without boot), whose earlier life left a retained latest/ of its boot at a higher seq: readings starting lower with a later ts are a new epoch and come out; starting lower with an earlier ts they are the same epoch, which went out (found black-box, both)",
        arguments: [true, false], [nil, 1])
    func unknownSensorAfterRestart(laterTs: Bool, boot: Int?) {
        var h = Harness()
        let ahead = h.engine.publishedBeyondJournal(["latest/m/temperature": .init(seq: 19, ts: Self.ts(19), boot: boot.map(Int64.init))])
        #expect(ahead.isEmpty)
        var out: [Publication] = []
        for seq in 0...29 { out += h.send("m", seq: seq, ts: laterTs ? Self.ts(100 + seq) : Self.ts(seq), boot: boot) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" }
        let expected = laterTs ? (0...29).map { "\($0):ok:-" } : ["0:gap:journal_damaged"] + (20...29).map { "\($0):ok:-" }
        #expect(cleaned == expected, "\(cleaned)")
    }

    @Test(
        "an older data folder put back under a sensor that has since reset its seq under the same boot (the broker's retained latest/ of that boot at a lower seq, later in ts): its next readings, later still, begin that epoch again and come out, not bad_value:seq and then too_late for ever (found black-box, 42nd review)"
    )
    func sameBootResetSinceTheCopy() {
        var h = Harness()
        for seq in 0...19 { h.send("z", seq: seq, ts: Self.ts(seq), boot: 1) }
        h.advance(3000)
        // Since the copy: the sensor reset to seq 0 under boot 1, and 0-9 went out (ts 100-109).
        let ahead = h.engine.publishedBeyondJournal(["latest/z/temperature": .init(seq: 9, ts: Self.ts(109), boot: 1)])
        #expect(ahead.map(\.stream) == ["z"])
        var out: [Publication] = []
        for seq in 10...30 { out += h.send("z", seq: seq, ts: Self.ts(100 + seq), boot: 1) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        #expect(cleaned == (10...30).map { "\($0):ok" }, "\(cleaned)")
        #expect(out.of(.deadLetter).isEmpty, "\(out.of(.deadLetter).map(\.text))")
        // A copy of one that went out since (0-9, before where the stream took up again) is not
        // published again: too late, as any reading below where a stream starts.
        out = h.send("z", seq: 5, ts: Self.ts(105), boot: 1)
        #expect(out.cleaned.isEmpty && out.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"], "\(out.map(\.text))")
    }

    @Test(
        "a sensor new to the engine whose readings, later in ts, fall below a retained latest/ of their own boot (a boot value used again): the seqs missing up to the retained one are asked for but never estimated, as consumers hold that boot's keys ok; an answer within the window comes out ok, a later one is a duplicate (found in review: boot 1 seqs 56-100 went out synthetic)",
        arguments: [true, false])
    func bootUsedAgainBelowRetained(answeredInTime: Bool) {
        var h = Harness()
        let retained = RecoveryEngine.PublishedLatest(seq: 100, ts: Self.ts(100), boot: 1)
        #expect(h.engine.publishedBeyondJournal(["latest/m/temperature": retained]).isEmpty)
        var out: [Publication] = []
        for seq in 50...55 { out += h.send("m", seq: seq, ts: Self.ts(200 + seq), boot: 1) }
        out += h.advance(3000)
        for seq in 101...103 { out += h.send("m", seq: seq, ts: Self.ts(200 + seq), boot: 1) }
        #expect(out.of(.resendRequest).map(\.text) == [#"{"from_seq":56,"to_seq":100,"measurement":"temperature"}"#])
        if answeredInTime { out += h.send("m", seq: 56, ts: Self.ts(256), boot: 1) }
        out += h.advance(3000)
        if !answeredInTime { out += h.send("m", seq: 56, ts: Self.ts(256), boot: 1) }
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        let expected = (50...55).map { "\($0):ok" } + (answeredInTime ? ["56:ok"] : []) + (101...103).map { "\($0):ok" }
        #expect(cleaned == expected, "\(cleaned)")
        #expect(h.engine.counters.duplicates == (answeredInTime ? 0 : 1))
    }

    @Test(
        "a sensor new to the engine beside someone else's retained latest/ newer than its readings: of an earlier boot than that value, each reading no later than it is dead-lettered too_late as it comes (none held and dropped unseen) and a reading newer than it starts the stream; of a later boot, everything comes out, as a larger boot always starts an epoch (found black-box, 37th review: the first readings dropped without a count or a dead letter, every later one too_late, whichever the boot)",
        arguments: [1, 3])
    func newSensorOfAnotherBootBelowRetained(boot: Int) {
        var h = Harness()
        let retained = RecoveryEngine.PublishedLatest(seq: 5, ts: Self.ts(100), boot: 2)
        #expect(h.engine.publishedBeyondJournal(["latest/m/temperature": retained]).isEmpty)
        var out: [Publication] = []
        for seq in 0...4 { out += h.send("m", seq: seq, ts: Self.ts(50 + seq), boot: boot) }
        out += h.advance(3000)
        for seq in 5...9 { out += h.send("m", seq: seq, ts: Self.ts(100 + seq), boot: boot) }
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?")" }
        let earlier = boot < 2
        #expect(cleaned == (earlier ? 5...9 : 0...9).map { "\($0):ok" }, "\(cleaned)")
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == Array(repeating: "too_late", count: earlier ? 5 : 0))
        #expect(h.engine.counters.deadLettersByReason["too_late", default: 0] == (earlier ? 5 : 0))
    }

    @Test(
        "the broker's retained latest/ of a later boot than the restored engine's epoch: once the new epoch begins on a copy of what went out (a duplicate), a late reading of the closed boot, no later than that value, is too late, not a reset boot counter published under the old boot again (aimed finding-8 seed 424)"
    )
    func closedBootAfterLaterBootWentOut() {
        var h = Harness()
        for seq in 0..<5 { h.send("d", seq: seq, boot: 1) }
        h.advance(3000)
        // The journal lost the rest of boot 1 and boot 2's first readings: the broker's latest/
        // shows boot 2 out through seq 7.
        let ahead = h.engine.publishedBeyondJournal(["latest/d/temperature": .init(seq: 7, ts: Self.ts(20), boot: 2)])
        #expect(ahead.map(\.stream) == ["d"])
        var out: [Publication] = []
        out += h.send("d", seq: 3, ts: Self.ts(16), boot: 2)  // a copy of what went out: a duplicate
        out += h.send("d", seq: 8, ts: Self.ts(8), boot: 1)  // late, from the closed epoch
        out += h.advance(3000)
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.json["boot"] as? NSNumber ?? -1)" }
        #expect(cleaned.isEmpty, "\(cleaned)")
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"])
        #expect(h.engine.counters.duplicates == 1)
    }

    @Test(
        "the broker's retained latest/ of a later boot, newer than every reading of a stream the restored engine still holds in its first-sight hold: that epoch was closed before the value went out, so when it starts (the next boot's reading closes it, or its hold ends) nothing of it is published again, a fill for a reading whose input was destroyed least of all, and a late reading of it is too late (aimed finding-8 seed 949)",
        arguments: [true, false])
    func heldEpochClosedByLaterBoot(nextBootArrives: Bool) {
        var h = Harness()
        // Boot 1's seqs 0-2 and 4 journaled (3's input destroyed), still held for the stream's start.
        for seq in [0, 1, 2, 4] { h.send("d", seq: seq, boot: 1) }
        let ahead = h.engine.publishedBeyondJournal(["latest/d/temperature": .init(seq: 1, ts: Self.ts(20), boot: 2)])
        #expect(ahead.isEmpty)  // not started: compared when it starts
        var out: [Publication] = []
        if nextBootArrives { out += h.send("d", seq: 2, ts: Self.ts(21), boot: 2) }
        out += h.advance(3000)
        out += h.send("d", seq: 3, boot: 1)  // a resend answer of the closed epoch
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.json["boot"] as? NSNumber ?? -1)" }
        #expect(cleaned.allSatisfy { !$0.hasSuffix(":1") }, "\(cleaned)")
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"])
        // The four held readings went out before that value: counted as duplicates, not dropped unseen.
        #expect(h.engine.summaries.first { $0.sensorID == "d" }?.duplicates == 4)
    }

    @Test(
        "the broker's retained latest/ of an earlier boot, newer than anything the restored engine published of it (the journal lost that boot's last publications) but older than a reading of the epoch the engine is in: that value went out before this epoch began and closes nothing of it; the epoch's readings, held and arriving, come out, a late reading of the earlier boot is too late, and latest/ stays at the broker's (aimed finding-8 seed 623)"
    )
    func earlierBootRetainedPastJournal() {
        var h = Harness()
        for seq in 0..<5 { h.send("d", seq: seq, boot: 1) }
        h.advance(3000)
        // Boot 2's seq 1 closed boot 1 and waits for seq 0; the journal lost boot 1's publications
        // of 5 and 6, which the broker's latest/ shows out.
        h.send("d", seq: 1, ts: Self.ts(10), boot: 2)
        let ahead = h.engine.publishedBeyondJournal(["latest/d/temperature": .init(seq: 6, ts: Self.ts(6), boot: 1)])
        #expect(ahead.isEmpty, "\(ahead)")
        var out: [Publication] = []
        out += h.send("d", seq: 0, ts: Self.ts(9), boot: 2)
        out += h.send("d", seq: 2, ts: Self.ts(11), boot: 2)
        out += h.send("d", seq: 7, ts: Self.ts(7), boot: 1)  // late, from the closed epoch
        out += h.advance(3000)
        let cleaned = out.cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.json["boot"] as? NSNumber ?? -1)" }
        #expect(cleaned == ["0:ok:2", "1:ok:2", "2:ok:2"], "\(cleaned)")
        #expect(out.of(.deadLetter).map { $0.reason ?? "?" } == ["too_late"])
        #expect(Self.latestTimes(out) == [Self.ts(9), Self.ts(10), Self.ts(11)])
    }

    @Test(
        "the broker's retained latest/ past readings the engine still holds (the journal lost the newest records, publications and input after them): what it holds up to that seq is not published again, a different estimate least of all; the jump through it is one journal_damaged gap, and a reading for a seq up to it is a duplicate"
    )
    func publishedBeyondHeldReadings() {
        var h = Harness()
        for seq in 0..<2 {
            h.send("a", seq: seq, boot: 1)
            h.send("b", seq: seq, boot: 1)
        }
        h.advance(3000)
        // a: seq 2 out of range, held for its right-hand neighbour; b: seq 3 held behind a missing 2.
        h.send("a", seq: 2, temp: 70, boot: 1)
        h.send("b", seq: 3, boot: 1)
        // The broker's retained values say both streams went out through seq 4 (the journal
        // lost those publications, and the input of seqs 3 and 4 of a).
        let ahead = h.engine.publishedBeyondJournal([
            "latest/a/temperature": .init(seq: 4, ts: Self.ts(4), boot: 1),
            "latest/b/temperature": .init(seq: 4, ts: Self.ts(4), boot: 1),
        ])
        #expect(ahead.map(\.stream) == ["a", "b"])
        var out: [Publication] = []
        out += h.send("b", seq: 2, boot: 1)  // a resend of what went out already
        out += h.send("a", seq: 6, temp: 53, boot: 1)
        out += h.send("b", seq: 6, boot: 1)
        out += h.advance(3000)
        out += h.advance(3000)
        for sensor in ["a", "b"] {
            let cleaned = out.cleaned.filter { $0.json["sensor_id"] as? String == sensor }
            #expect(
                cleaned.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" } == ["2:gap:journal_damaged", "6:ok:-"],
                "\(sensor)")
            #expect((cleaned.first?.json["to_seq"] as? NSNumber)?.intValue == 5, "\(sensor)")
        }
        #expect(h.engine.counters.duplicates == 1)
        #expect(Self.latestTimes(out.filter { $0.topic == "latest/a/temperature" }) == [Self.ts(6)])
        // A late reading for a seq that went out before the damage is a duplicate, not a restatement.
        #expect(h.send("a", seq: 3, boot: 1).isEmpty)
        #expect(h.engine.counters.duplicates == 2)
    }

    @Test(
        "another measurement's retained latest/ is checked against its own stream: a humidity value past the journal is that stream's journal_damaged gap; the same sensor's temperature is left alone"
    )
    func publishedBeyondJournalPerMeasurement() {
        var h = Harness { $0.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100)] }
        for seq in 0..<5 {
            h.send("a", seq: seq, boot: 1)
            h.raw("sensors/a/humidity", "{\"seq\":\(seq),\"ts\":\(Self.ts(seq)),\"humidity\":40,\"status\":\"normal\",\"boot\":1}")
        }
        h.advance(3000)
        let ahead = h.engine.publishedBeyondJournal([
            "latest/a/humidity": .init(seq: 9, ts: Self.ts(9), boot: 1),
            "latest/a/temperature": .init(seq: 4, ts: Self.ts(4), boot: 1),
        ])
        #expect(ahead.map(\.stream) == ["a/humidity"])
        var out: [Publication] = []
        for seq in 10..<12 {
            out += h.send("a", seq: seq, boot: 1)
            out += h.raw("sensors/a/humidity", "{\"seq\":\(seq),\"ts\":\(Self.ts(seq)),\"humidity\":40,\"status\":\"normal\",\"boot\":1}")
        }
        out += h.advance(3000)
        out += h.advance(3000)
        let humidity = out.cleaned.filter { $0.topic == "cleaned/a/humidity" }
        #expect(humidity.map { "\($0.seq ?? -1):\($0.quality ?? "?"):\($0.reason ?? "-")" } == ["5:gap:journal_damaged", "10:ok:-", "11:ok:-"])
        let temperature = out.cleaned.filter { $0.topic == "cleaned/a/temperature" }
        #expect(temperature.map(\.quality).prefix(5) == ["synthetic", "synthetic", "synthetic", "synthetic", "synthetic"])
    }
}
