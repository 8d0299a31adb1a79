import Foundation
import Testing
@testable import Recovery

/// A sensor forgotten (expired, or evicted at the cap) that comes back continues where it
/// stopped: every seq still comes out once, as itself, an estimate, or inside a gap.
@Suite("Forgotten sensors that come back")
struct ForgottenSensorTests {
    static func seqsCovered(_ log: [Publication], _ sensor: String) -> [UInt64] {
        log.cleaned.filter { $0.topic == "cleaned/\(sensor)/temperature" && $0.quality != "restated" }.flatMap { p -> [UInt64] in
            let j = p.json
            if p.quality == "gap", let f = (j["from_seq"] as? NSNumber)?.uint64Value, let t = (j["to_seq"] as? NSNumber)?.uint64Value {
                return Array(f...t)
            }
            return [UInt64(p.seq ?? -1)]
        }
    }

    @Test("after eviction at the cap, the readings missed meanwhile are asked for and filled; one from before is too late; live is announced")
    func evictedAndBack() {
        var h = Harness {
            $0.maxSensors = 2
            $0.sensorRetentionMs = 86_400_000
        }
        let start = h.now
        for seq in 0..<5 { h.send("a", seq: seq, at: start + Int64(seq) * 1000) }  // a: seqs 0-4, heard every second
        h.send("b", seq: 0, at: start + 4_500)
        h.send("b", seq: 1, at: start + 30_000)
        h.advance(3_000)
        // a falls silent for a minute; c takes its place (b spoke more recently).
        h.send("c", seq: 0, at: start + 65_000)
        #expect(h.engine.counters.evicted == 1)
        #expect(h.log.contains { $0.topic == "gateway/gw/sensors/a" && $0.json["state"] as? String == "expired" })
        // a comes back at seq 8 (5-7 lost while it was away) and takes c's place (heard once, silent 5 s).
        h.log.removeAll()
        h.send("a", seq: 8, at: start + 70_000)
        #expect(h.log.contains { $0.kind == .resendRequest && $0.topic == "sensors/a/resend" })
        #expect(h.log.contains { $0.topic == "gateway/gw/sensors/a" && $0.json["state"] as? String == "live" })
        h.advance(5_000)
        #expect(Self.seqsCovered(h.log, "a") == [5, 6, 7, 8])
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/a/temperature" && [5, 6, 7].contains($0.seq ?? -1) }.allSatisfy { $0.quality == "synthetic" })
        // A reading from before it was forgotten: its history is gone, so it is too late, not dropped.
        h.log.removeAll()
        h.send("a", seq: 3, at: start + 76_000)
        #expect(h.log.last?.reason == "too_late")
    }

    @Test(
        "a sensor forgotten while a restart's retained latest/ showed its next boot gone out keeps that: the boot's readings when it comes back continue after the value, the value's seq is not estimated again (found by the fault simulator, aimed finding-8 seed 16377)"
    )
    func forgottenKeepsTheRetainedNextBoot() {
        var h = Harness { $0.sensorRetentionMs = 3_600_000 }
        let t0: Int64 = 1_795_660_000_000
        for seq in 0..<5 { h.send("a", seq: seq, ts: t0 + Int64(seq) * 1000, boot: 1) }
        h.advance(3000)
        // The journal lost boot 2's seq 0, which went out: the broker's latest/ shows it.
        _ = h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 0, ts: t0 + 10_000, boot: 2)])
        h.advance(3_600_000 + 120_000)  // forgotten
        #expect(h.engine.sensorCount == 0 && h.engine.counters.expired == 1)
        h.log.removeAll()
        h.send("a", seq: 1, ts: t0 + 11_000, boot: 2, at: h.now + 1000)
        h.advance(10_000)
        h.advance(10_000)
        let a = h.log.cleaned.filter { $0.topic == "cleaned/a/temperature" }
        #expect(!a.contains { $0.seq == 0 && $0.quality != "gap" }, "\(a.map(\.text))")
        #expect(a.contains { $0.seq == 1 && $0.quality == "ok" }, "\(a.map(\.text))")
    }

    @Test("after expiry, the outage comes out as a gap, not as silence")
    func expiredAndBack() {
        var h = Harness {
            $0.sensorRetentionMs = 3_600_000
        }
        let start = h.now
        for seq in 0..<3 { h.send("slow", seq: seq, at: start + Int64(seq) * 1000) }
        h.advance(3_600_000 + 120_000)  // forgotten
        #expect(h.engine.sensorCount == 0 && h.engine.counters.expired == 1)
        h.send("slow", seq: 5_000, at: h.now + 1000)
        h.advance(10_000)
        let covered = Self.seqsCovered(h.log, "slow")
        let complete = covered == Array(0...5_000)
        #expect(complete, "covered \(covered.prefix(5))...\(covered.suffix(3)), \(covered.count) seqs")
        #expect(h.log.cleaned.contains { $0.topic == "cleaned/slow/temperature" && $0.quality == "gap" })
    }
}

/// The memory of forgotten sensors stays bounded however often sensors come and go.
@Suite("Forgotten sensors' memory")
struct ForgottenSensorsMemoryTests {
    static func remembered(_ id: String, _ seq: UInt64) -> RememberedSensor {
        RememberedSensor(id: id, boot: nil, nextSeq: seq, highestSeen: seq, maxTs: 0, lastValid: nil, lastAnchor: nil, tsStep: 1000)
    }

    @Test("at most the cap is remembered, oldest forgotten first; sensors forgotten and taken back over and over leave no trail")
    func bounded() {
        var f = ForgottenSensors()
        for n in 0..<50 { f.remember(Self.remembered("s\(n)", UInt64(n)), cap: 20) }
        #expect(f.count == 20)
        #expect(f.take("s29") == nil)  // among the 30 oldest, dropped
        #expect(f.take("s30")?.nextSeq == 30)
        for round in 0..<100_000 {
            f.remember(Self.remembered("flapping", UInt64(round)), cap: 20)
            #expect(f.take("flapping")?.nextSeq == UInt64(round))
        }
        #expect(f.orderEntries <= 2 * f.count + 1024, "\(f.orderEntries) entries for \(f.count) sensors")
    }
}
