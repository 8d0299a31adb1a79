import DeterministicRandom
import Foundation
import Testing

@testable import Recovery

/// Aggregates under late data, found black-box (80th review): a gap over more windows than a
/// sensor keeps, restated out of order, published windows again at revision 0; a late horizon
/// shortened and lengthened by reloads restated a fill whose window was gone, with no aggregate;
/// an emptied window went out without its statistics; and restatements counted in no window
/// were not counted as skipped.
@Suite("Aggregates under late data")
struct LateAggregateReviewTests {
    static let base: Int64 = 1_795_660_000_000

    static func configure(_ c: inout EngineConfiguration) {
        c.reorderWindowMs = 500
        c.lateHorizonMs = 60_000
        c.aggregateWindowMs = 10_000
        c.maxFill = 20
    }

    /// The newest revision of each window, after checking that each (window, revision) went out
    /// once and a window's revisions only went up.
    static func newestWindows(_ log: [Publication]) -> [Int64: [String: Any]] {
        var texts: [String: [UInt8]] = [:]
        var newest: [Int64: [String: Any]] = [:]
        for a in log.of(.aggregate) {
            let start = (a.json["window_start"] as? NSNumber)?.int64Value ?? -1
            let revision = a.json["revision"] as? Int ?? -1
            let key = "\(start)@\(revision)"
            let earlier = texts[key]
            #expect(earlier == nil || earlier == a.payload, "window \(start) revision \(revision) published twice, differently")
            let last = newest[start]?["revision"] as? Int ?? -1
            #expect(revision > last || (revision == last && earlier == a.payload), "window \(start) went back from revision \(last) to \(revision)")
            texts[key] = a.payload
            newest[start] = a.json
        }
        return newest
    }

    @Test(
        "a gap over more windows than a sensor keeps, restated in random order: no window goes out again at a revision consumers hold, and what no window counts is counted as skipped"
    )
    func gapWiderThanTheCapRestatedOutOfOrder() throws {
        var h = Harness(Self.configure)
        #expect(h.engine.configuration.aggregateWindowsPerSensor == 16)
        for seq in Array(0..<10) + Array(310..<330) { h.send(seq: seq) }
        h.run(for: 3_000)
        #expect(h.log.cleaned.contains { $0.quality == "gap" })
        var rng = SplitMix64(seed: 3)
        var late = Array(10..<310)
        for i in stride(from: late.count - 1, to: 0, by: -1) { late.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        for seq in late {
            h.send(seq: seq, temp: 50.5 + Double(seq % 37) * 0.1, at: h.now + 5)
        }
        for seq in 330..<345 {
            h.send(seq: seq, at: h.now + 1_000)
            h.run(for: 0)
        }
        h.run(for: 30_000)
        #expect(h.log.cleaned.filter { $0.quality == "restated" }.count == 300)
        // Seqs 340-344 are in the window still open.
        let windows = Self.newestWindows(h.log).filter { $0.key < Self.base + 340_000 }
        let counted = windows.values.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }
        let published = Set(h.log.cleaned.filter { $0.quality != "gap" }.compactMap(\.seq).filter { $0 < 340 }).count
        let skipped = h.engine.counters.output.aggregateSkipped
        #expect(skipped > 0, "the cap forced windows out before their restatements came")
        #expect(counted + skipped == published, "windows count \(counted), skipped \(skipped), cleaned/ \(published)")
    }

    @Test(
        "a late horizon shortened by a reload and lengthened again does not bring back fills it expired: their late readings are too late, as their windows were forgotten"
    )
    func horizonShortenedAndLengthened() throws {
        var h = Harness(Self.configure)
        for seq in 0..<30 where ![5, 15, 25].contains(seq) {
            h.send(seq: seq, at: h.now + 1_000)
            h.run(for: 0)
        }
        h.run(for: 3_000)
        #expect(h.log.cleaned.filter { $0.quality == "synthetic" }.count == 3)
        var short = h.engine.configuration
        short.lateHorizonMs = 10_000
        var out: [Publication] = []
        h.engine.reconfigure(short, at: h.now, into: &out)
        h.run(for: 20_000)
        h.send(seq: 30, at: h.now)
        var long = h.engine.configuration
        long.lateHorizonMs = 60_000
        h.engine.reconfigure(long, at: h.now, into: &out)
        let answer = h.send(seq: 15, temp: 53.5, at: h.now + 10_000)
        #expect(answer.cleaned.isEmpty, "\(answer.summary)")
        #expect(answer.of(.deadLetter).first?.reason == "too_late")
        _ = Self.newestWindows(h.log)
    }

    @Test("a window whose only estimate is restated into the window beside it goes out with count 0 and its statistics null, not left out")
    func emptiedWindowNamesItsStatistics() throws {
        var h = Harness(Self.configure)
        for seq in 0..<10 { h.send(seq: seq, at: h.now + 1_000) }
        // Seq 10 is missing; seq 11 comes 90 s of sensor time later, so the fill puts seq 10's
        // estimate halfway, in a window no reading reaches.
        for seq in 11..<25 { h.send(seq: seq, ts: Self.base + 100_000 + Int64(seq - 11) * 1000, at: h.now + 1_000) }
        h.run(for: 3_000)
        let fill = try #require(h.log.cleaned.first { $0.seq == 10 })
        #expect(fill.quality == "synthetic")
        h.send(seq: 10, ts: Self.base + 10_000, at: h.now + 1_000)
        let windows = Self.newestWindows(h.log)
        let fillTs = try #require((fill.json["ts"] as? NSNumber)?.int64Value)
        let emptied = try #require(windows[AggregateWindows.floor(fillTs, 10_000)])
        #expect(emptied["count"] as? Int == 0)
        #expect(emptied["revision"] as? Int == 1)
        for key in ["min", "max", "mean"] { #expect(emptied[key] is NSNull, "\(key): \(String(describing: emptied[key]))") }
    }

    /// Each window's aggregate publications, by window start.
    static func publications(_ log: [Publication]) -> [Int64: [[String: Any]]] {
        Dictionary(grouping: log.of(.aggregate).map(\.json)) { ($0["window_start"] as? NSNumber)?.int64Value ?? -1 }
    }

    @Test(
        "a late reading stamped past its seq's neighbours (restating a fill) closes no window: the open one goes out once, whole, at revision 0, and the late reading counts in the window of its own ts (found black-box, 84th review)"
    )
    func lateReadingStampedAheadClosesNothing() throws {
        var h = Harness(Self.configure)
        for seq in 0..<21 where seq != 15 {
            h.send(seq: seq, at: h.now + 1_000)
            h.run(for: 0)
        }
        h.run(for: 3_000)
        #expect(h.log.cleaned.first { $0.seq == 15 }?.quality == "synthetic")
        // Seq 15's real reading, late and stamped 30 s past where its neighbours put it.
        h.send(seq: 15, temp: 53, ts: Self.base + 45_000, at: h.now + 100)
        #expect(h.log.cleaned.last { $0.seq == 15 }?.quality == "restated")
        for seq in 21..<51 {
            h.send(seq: seq, at: h.now + 1_000)
            h.run(for: 0)
        }
        let published = Self.publications(h.log)
        _ = Self.newestWindows(h.log)
        for start in [Self.base + 20_000, Self.base + 30_000] {
            let window = published[start] ?? []
            #expect(window.count == 1, "window \(start - Self.base): \(window)")
            #expect(window.first?["count"] as? Int == 10 && window.first?["revision"] as? Int == 0, "\(window)")
        }
        let own = published[Self.base + 40_000] ?? []
        #expect(own.count == 1 && own.first?["count"] as? Int == 11 && own.first?["revision"] as? Int == 0, "\(own)")
    }

    @Test(
        "a closed boot's last reading, released after a new boot whose clock was reset a day back, closes none of the new boot's windows: each goes out once, whole, at revision 0"
    )
    func closedBootTailAheadOfAResetClock() throws {
        var h = Harness(Self.configure)
        for seq in 0..<10 {
            h.send(seq: seq, boot: 1, at: h.now + 1_000)
            h.run(for: 0)
        }
        let dayBack = Self.base - 86_400_000
        h.send(seq: 0, ts: dayBack, boot: 2, at: h.now + 1_000)
        // Boot 1's seq 10, delivered just behind boot 2's first reading.
        h.send(seq: 10, boot: 1, at: h.now + 100)
        #expect(h.log.cleaned.contains { $0.seq == 10 && ($0.json["boot"] as? Int) == 1 && $0.quality == "ok" }, "\(h.log.summary)")
        for seq in 1..<31 {
            h.send(seq: seq, ts: dayBack + Int64(seq) * 1_000, boot: 2, at: h.now + 1_000)
            h.run(for: 0)
        }
        let published = Self.publications(h.log)
        _ = Self.newestWindows(h.log)
        for start in [dayBack, dayBack + 10_000, dayBack + 20_000] {
            let window = published[start] ?? []
            #expect(window.count == 1, "window \(start - dayBack): \(window)")
            #expect(window.first?["count"] as? Int == 10 && window.first?["revision"] as? Int == 0, "\(window)")
        }
    }
}
