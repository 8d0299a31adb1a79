import Foundation
import Testing
@testable import Recovery

/// A sensor's state follows what restatement needs (the seqs published as estimates or gaps
/// within the late horizon, and the windows they can revise), not how long it has been sending:
/// once the horizon has passed, it levels off (the flash budget: snapshots stop growing).
@Suite("Per-sensor state levels off")
struct StatePlateauTests {
    static let width: Int64 = 60_000

    /// `minutes` of one sensor at 1 Hz: every 20th reading out of range (`corrected`), every
    /// 10th lost (`synthetic` after the reorder window), the rest `ok`.
    static func run(_ h: inout Harness, from start: Int, minutes: Int) {
        for seq in start..<(start + minutes * 60) {
            if seq % 10 != 7 { h.send(seq: seq, temp: seq % 20 == 3 ? 99 : 52) }
            h.advance(1000)
        }
    }

    static func stateBytes(_ h: Harness) throws -> Int {
        try JSONEncoder().encode(h.engine.sensorSnapshot(at: 0)).count
    }

    @Test("past the late horizon the state stays the same size")
    func plateau() throws {
        var h = Harness { $0.lateHorizonMs = 600_000 }
        Self.run(&h, from: 0, minutes: 30)
        let at30 = try Self.stateBytes(h)
        Self.run(&h, from: 30 * 60, minutes: 30)
        let at60 = try Self.stateBytes(h)
        #expect(h.log.cleaned.count >= 3500)
        #expect(Double(at60) <= Double(at30) * 1.1, "state grew from \(at30) to \(at60) bytes")
    }

    @Test("windows no restatement can revise are forgotten soon after they close; the others last the horizon")
    func plainWindowsGo() {
        var w = AggregateWindows()
        let horizon: Int64 = 3_600_000
        var now: Int64 = 0
        for minute in 0..<10 {
            for s in 0..<60 {
                let seq = UInt64(minute * 60 + s)
                let ts = Int64(seq) * 1000
                // Minute 2 holds an estimate; minute 4 had a gap published over it.
                let quality: Quality = minute == 2 && s == 30 ? .synthetic : .ok
                _ = w.add(ts: ts, seq: seq, value: 52, quality: quality, replacing: nil, now: now, width: Self.width, limit: 124).due
                now = ts
            }
            if minute == 4 { w.noteGap(fromTs: 4 * Self.width + 10_000, toTs: 4 * Self.width + 20_000, width: Self.width) }
        }
        w.prune(now: now + 1, horizon: horizon, width: Self.width)
        let starts = w.windows.map { $0.start / Self.width }
        #expect(starts.contains(2))
        #expect(starts.contains(4))
        // Minutes 1 and 3 stay beside minute 2's estimate: its real reading may land in either.
        #expect(starts.contains(1) && starts.contains(3))
        #expect(!starts.contains(0) && !starts.contains(5))
        #expect(starts.contains(9))  // still open
        #expect(w.windows.count <= 2 + 2 + 1 + Int(AggregateWindows.plainKeptWidths) + 1)
    }

    @Test("past the horizon, only the newest fills are remembered to answer too_late")
    func expiredEntriesCapped() {
        var history = PublishedHistory()
        for i in 0..<1000 {
            history.record(from: UInt64(i * 10), to: UInt64(i * 10), quality: .synthetic, at: Int64(i))
        }
        history.prune(now: 10_000_000, horizon: 1000)
        #expect(history.entries.count == PublishedHistory.expiredCap)
        #expect(PublishedHistory.expiredCap <= 64)
        #expect(history.lookup(9990, now: 10_000_000, horizon: 1000) == .expired)
    }

    /// The keyed form snapshots of format 5 hold.
    struct KeyedHistory: Codable { var entries: [PublishedHistory.KeyedEntry] }

    @Test("the history is written packed, reads back exactly, and the keyed form of older snapshots still reads")
    func packedHistory() throws {
        var history = PublishedHistory()
        for i in UInt64(0)..<600 {
            let from = 1_000_000 + i * 20
            history.record(
                from: from, to: from + i % 3, quality: i % 7 == 0 ? .gap : i % 2 == 0 ? .corrected : .synthetic, at: 1_795_660_000_000 + Int64(i) * 6000)
            if i % 5 == 0 { history.markRestated(from) }
        }
        let packed = try JSONEncoder().encode(history)
        #expect(try JSONDecoder().decode(PublishedHistory.self, from: packed) == history)
        let keyed = try JSONEncoder().encode(KeyedHistory(entries: history.keyedEntries))
        #expect(try JSONDecoder().decode(PublishedHistory.self, from: keyed) == history)
        #expect(packed.count * 3 < keyed.count, "packed \(packed.count) bytes, keyed \(keyed.count)")
        #expect(throws: (any Error).self) { try PublishedHistory.unpack([1, 2, 9, 0, 0]) }
        #expect(throws: (any Error).self) { try PublishedHistory.unpack([1, 2]) }
    }

    /// The keyed form snapshots of format 5 hold.
    struct KeyedWindows: Codable {
        var windows: [AggregateWindows.Window]
        var maxReleasedTs: Int64
        var earliestOpenEnd: Int64
    }

    @Test("aggregate windows are written packed and read back exactly; the keyed form of older snapshots still reads")
    func packedWindows() throws {
        var w = AggregateWindows()
        var now: Int64 = 1_795_660_000_000
        for seq in UInt64(0)..<3000 {
            let quality: Quality = seq % 20 == 3 ? .corrected : seq % 10 == 7 ? .synthetic : .ok
            let value = 50 + Double(seq % 50) / 10
            _ = w.add(ts: now, seq: seq, value: value, quality: quality, replacing: nil, now: now, width: Self.width, limit: 124).due
            if seq % 300 == 3 {
                _ = w.add(ts: now, seq: seq, value: 52.5, quality: .restated, replacing: .corrected, now: now, width: Self.width, limit: 124).due
            }
            now += 1000
        }
        for seq in UInt64(5000)..<5100 {  // one window with folded estimates
            _ = w.add(ts: now, seq: seq, value: 51, quality: .synthetic, replacing: nil, now: now, width: Self.width, limit: 124).due
        }
        w.noteGap(fromTs: now - 700_000, toTs: now - 650_000, width: Self.width)
        _ = w.closeAll(now: now, width: Self.width)
        let packed = try JSONEncoder().encode(w)
        #expect(try JSONDecoder().decode(AggregateWindows.self, from: packed) == w)
        let keyedForm = try JSONDecoder().decode(
            KeyedWindows.self, from: try JSONEncoder().encode(KeyedWindows(windows: w.windows, maxReleasedTs: 1, earliestOpenEnd: 2)))
        let keyed = try JSONEncoder().encode(keyedForm)
        #expect(try JSONDecoder().decode(AggregateWindows.self, from: keyed).windows == w.windows)
        #expect(packed.count * 2 < keyed.count, "packed \(packed.count) bytes, keyed \(keyed.count)")
        #expect(throws: (any Error).self) { try AggregateWindows.unpack([0, 0, 0, 0, 0, 0, 1, 5, 9], []) }
    }
}
