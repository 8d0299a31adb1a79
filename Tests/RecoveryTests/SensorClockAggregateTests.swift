import Foundation
import Testing

@testable import Recovery

/// Aggregates of sensors whose own clock steps, and of a sensor forgotten and back, found
/// black-box (thirty-second review): a window at revision 7 went out again at revision 0, windows
/// behind a clock's jump ahead stayed unpublished for minutes, and a sensor back after its late
/// horizon had its fill counted in a second revision 0.
@Suite("Aggregates when a sensor's clock steps")
struct SensorClockAggregateTests {
    static let base: Int64 = 1_795_660_000_000

    /// Readings every 500 ms, seq 0 to `count` - 1, `ts` shifted by `shift(seq)`; the gateway's
    /// clock moves with them, ticking at its deadlines.
    static func run(count: Int = 150, shift: (Int) -> Int64) -> Harness {
        var h = Harness {
            $0.aggregateWindowMs = 10_000
            $0.reorderWindowMs = 1000
        }
        for seq in 0..<count {
            h.send(seq: seq, temp: 50 + Double(seq % 50) / 10, ts: base + Int64(seq) * 500 + shift(seq))
            h.run(for: 500)
        }
        return h
    }

    /// Each (window, revision) published once, and revisions of a window only going up.
    static func revisionsConsistent(_ h: Harness) -> Bool {
        var texts: [String: String] = [:]
        var newest: [Int64: Int] = [:]
        for a in h.log.of(.aggregate) {
            guard let start = (a.json["window_start"] as? NSNumber)?.int64Value, let revision = a.json["revision"] as? Int else { return false }
            let key = "\(start)@\(revision)"
            if let seen = texts[key], seen != a.text { return false }
            if let last = newest[start], revision < last { return false }
            texts[key] = a.text
            newest[start] = max(newest[start] ?? revision, revision)
        }
        return !texts.isEmpty
    }

    @Test(
        "a clock that steps back: the windows its readings land in again are revised, never published again at a revision consumers hold",
        arguments: [Int64(15_000), 30_000, 45_000, 90_000])
    func clockStepsBack(by step: Int64) throws {
        let h = Self.run(count: 400) { seq in seq >= 200 ? -step : 0 }
        // What it keeps of forgotten windows survives a snapshot.
        let aggregates = try #require(h.engine.sensors.first?.aggregates)
        #expect(try JSONDecoder().decode(AggregateWindows.self, from: JSONEncoder().encode(aggregates)) == aggregates)
        #expect(Self.revisionsConsistent(h))
        // Within two windows behind where the clock had been, they are still held and revised;
        // far further back, the readings that fall in windows forgotten since are counted, not
        // added (in between, it depends on when the windows were last pruned).
        let skipped = h.engine.counters.output.aggregateSkipped
        if step <= 20_000 { #expect(skipped == 0) }
        if step >= 90_000 { #expect(skipped > 0) }
    }

    @Test("a clock that jumps an hour ahead for four readings and back: the windows after the jump close as readings pass their end")
    func clockJumpsAheadAndBack() throws {
        let h = Self.run { seq in (30...33).contains(seq) ? 3_600_000 : 0 }
        let starts = Set(h.log.of(.aggregate).compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value })
        // Seqs 34-149 span 17 s to 75 s: every window they fill that they have passed is out.
        for start in stride(from: Self.base + 20_000, through: Self.base + 60_000, by: 10_000) {
            #expect(starts.contains(start), "window \(start - Self.base) not published")
        }
        #expect(Self.revisionsConsistent(h))
    }

    @Test("a sensor forgotten and back after more than its late horizon: the window its forgetting closed continues at revision 1, counting its fill")
    func forgottenSensorBackAfterHorizon() throws {
        var h = Harness {
            $0.aggregateWindowMs = 10_000
            $0.reorderWindowMs = 1000
            $0.lateHorizonMs = 20_000
            $0.sensorRetentionMs = 25_000
        }
        for seq in 0..<14 {
            h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 500)
            h.run(for: 500)
        }
        // Silent for 90 s (it goes stale and is forgotten), counting on; then back at seq 194,
        // with no resend buffer: seqs 14-193 are filled.
        h.run(for: 90_000)
        h.send(seq: 194, temp: 53, ts: Self.base + 194 * 500)
        h.run(for: 60_000)
        let first = h.log.of(.aggregate).filter { ($0.json["window_start"] as? NSNumber)?.int64Value == Self.base }
        #expect(first.map { $0.json["revision"] as? Int } == [0, 1])
        let last = try #require(first.last)
        #expect(last.json["ok"] as? Int == 14 && last.json["synthetic"] as? Int == 6 && last.json["count"] as? Int == 20)
        #expect(Self.revisionsConsistent(h))
    }

    @Test("a sensor that reboots with its clock reset a day back (no real-time clock): its windows there, never published, open and close as usual")
    func rebootWithClockResetADayBack() {
        var h = Harness {
            $0.aggregateWindowMs = 10_000
            $0.reorderWindowMs = 1000
        }
        for seq in 0..<200 {
            h.send(seq: seq, temp: 52, ts: Self.base + Int64(seq) * 500, boot: 1)
            h.run(for: 500)
        }
        let dayBack = Self.base - 86_400_000
        for seq in 0..<100 {
            h.send(seq: seq, temp: 53, ts: dayBack + Int64(seq) * 500, boot: 2)
            h.run(for: 500)
        }
        let starts = Set(h.log.of(.aggregate).compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value })
        #expect(starts.contains(dayBack) && starts.contains(dayBack + 30_000))
        #expect(h.engine.counters.output.aggregateSkipped == 0)
        #expect(Self.revisionsConsistent(h))
    }

    @Test(
        "a clock set back an hour for good: the window of its last readings before the step is published at once, and its windows an hour back open and close as usual"
    )
    func clockSetBackAnHour() {
        let h = Self.run(count: 185) { seq in seq >= 70 ? -3_600_000 : 0 }
        let published = h.log.of(.aggregate).compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value }
        // Seqs 60-69 (30-34.5 s) fill the window at 30 s; after the step, 35-92 s become -3,565 s on.
        #expect(published.contains(Self.base + 30_000))
        #expect(published.contains(Self.base - 3_560_000) && published.contains(Self.base - 3_530_000))
        #expect(h.engine.counters.output.aggregateSkipped == 0)
        #expect(Self.revisionsConsistent(h))
    }

    @Test(
        "one reading stamped a day back between readings where the clock is: the open window is not closed by it, and goes out once, when readings pass its end (86th review)",
        arguments: [-86_400_000, -600_000] as [Int64])
    func oneBackdatedReading(back: Int64) {
        // 10 s windows, two readings a second; seq 25 (12.5 s, in the window at 10 s) is stamped back.
        let h = Self.run(count: 60) { seq in seq == 25 ? back : 0 }
        let open = Self.base + 10_000
        let revisions = h.log.of(.aggregate).filter { ($0.json["window_start"] as? NSNumber)?.int64Value == open }
        #expect(revisions.map { $0.json["revision"] as? Int } == [0], "\(revisions.map(\.text))")
        // Every reading of the window but the backdated one, counted once.
        #expect(revisions.first?.json["count"] as? Int == 19)
        // The backdated reading's own window goes out once, with it alone.
        let back = h.log.of(.aggregate).filter {
            ($0.json["window_start"] as? NSNumber)?.int64Value == AggregateWindows.floor(Self.base + 12_500 + back, 10_000)
        }
        #expect(back.map { $0.json["count"] as? Int } == [1])
        #expect(Self.revisionsConsistent(h))
    }
}
