import Testing

@testable import Recovery

/// A fill interpolates its estimates' `ts`, so a late real reading can lie in another window than
/// the estimate it restates; and seqs start again with each epoch. Found by the fault
/// simulator's aggregate check (2026-12-05): the restatement took an estimate out of the real
/// reading's window (or another epoch's estimate of the same seq), so one window counted the
/// estimate still and another lost one it never held.
@Suite("Restatements across aggregate windows")
struct RestatementAcrossWindowsTests {
    static let width: Int64 = 60_000

    static func add(
        _ w: inout AggregateWindows, ts: Int64, seq: UInt64, _ value: Double, _ quality: Quality, replacing: Quality? = nil
    ) -> [AggregateWindows.Window] {
        w.add(ts: ts, seq: seq, value: value, quality: quality, replacing: replacing, now: ts, width: width, limit: 100).due
    }

    @Test("an estimate counted in the next window, restated by a reading of this one: each window counts it once, and both are published again")
    func realReadingInTheWindowBefore() throws {
        var w = AggregateWindows()
        _ = Self.add(&w, ts: 50_000, seq: 1, 52, .ok)
        // The fill put seq 2's estimate at 61,000: the second window.
        _ = Self.add(&w, ts: 61_000, seq: 2, 52.5, .synthetic)
        _ = Self.add(&w, ts: 62_000, seq: 3, 53, .ok)
        _ = Self.add(&w, ts: 125_000, seq: 4, 53, .ok)
        #expect(w.windows.filter { $0.closedAt != nil }.map(\.start) == [0, 60_000])
        // Seq 2 really was measured at 58,000: the first window's.
        let revised = Self.add(&w, ts: 58_000, seq: 2, 52.7, .restated, replacing: .synthetic)
        let byStart = Dictionary(uniqueKeysWithValues: revised.map { ($0.start, $0) })
        let first = try #require(byStart[0])
        let second = try #require(byStart[60_000])
        #expect(first.all.count == 2 && first.real.count == 2 && first.count(.synthetic) == 0)
        #expect(second.all.count == 1 && second.count(.synthetic) == 0 && second.real.count == 1)
        #expect(first.revision == 1 && second.revision == 1)
    }

    /// Found black-box (65th review): seq 20's estimate at 20,000 (10 s windows), the real
    /// reading stamped 19,999 and sent 25 s late. The window before, holding no estimate, had
    /// been forgotten two widths after it closed; the restatement opened it again and published
    /// it at revision 0 counting only itself, after its revision 0 counting ten.
    @Test(
        "a restatement landing in the window before its estimate's, long after that window closed, revises it (held as long as its neighbour)",
        arguments: [false, true])
    func restatementInAPlainWindowBesideTheEstimate(sensorForgotten: Bool) throws {
        let width: Int64 = 10_000
        var w = AggregateWindows()
        func add(
            _ ts: Int64, _ seq: UInt64, _ value: Double, _ quality: Quality, replacing: Quality? = nil, now: Int64? = nil
        )
            -> [AggregateWindows.Window]
        {
            w.add(ts: ts, seq: seq, value: value, quality: quality, replacing: replacing, now: now ?? ts, width: width, limit: 100).due
        }
        for k: Int64 in 0...60 {
            _ = add(k * 1_000, UInt64(k), k == 20 ? 52.5 : 51.5, k == 20 ? .synthetic : .ok)
        }
        let published = try #require(w.windows.first { $0.start == 10_000 })
        #expect(published.closedAt != nil && published.real.count == 10 && published.revision == 0)
        let now: Int64 = 86_000
        w.prune(now: now, horizon: 3_600_000, width: width)
        if sensorForgotten {
            _ = w.closeAll(now: now, width: width)
            w = try #require(w.remembered(now: now, horizon: 3_600_000, width: width))
        }
        let revised = add(19_999, 20, 54.7, .restated, replacing: .synthetic, now: now)
        let byStart = Dictionary(uniqueKeysWithValues: revised.map { ($0.start, $0) })
        let before = try #require(byStart[10_000])
        #expect(before.revision == 1 && before.real.count == 11 && before.all.count == 11)
        #expect(abs(before.all.sum - (51.5 * 10 + 54.7)) < 1e-9 && before.all.max == 54.7)
        let estimated = try #require(byStart[20_000])
        #expect(estimated.revision == 1 && estimated.count(.synthetic) == 0 && estimated.all.count == 9)
    }

    @Test("a new epoch seals the estimates before it: a restatement of the same seq in the new epoch never takes one of them out")
    func anotherEpochsSeq() throws {
        var w = AggregateWindows()
        _ = Self.add(&w, ts: 1_000, seq: 7, 52, .synthetic)
        w.sealEstimates()
        // The new epoch's seq 7, filled in the next window, then restated by a reading whose ts
        // lies in the first window, which holds the old epoch's seq 7.
        _ = Self.add(&w, ts: 70_000, seq: 7, 53, .synthetic)
        _ = Self.add(&w, ts: 130_000, seq: 8, 53, .ok)
        let revised = Self.add(&w, ts: 59_000, seq: 7, 53.2, .restated, replacing: .synthetic)
        let byStart = Dictionary(uniqueKeysWithValues: revised.map { ($0.start, $0) })
        // The old epoch's estimate still counts in the first window; the new one left the second.
        let first = try #require(byStart[0])
        #expect(first.count(.synthetic) == 1 && first.real.count == 1)
        #expect(try #require(byStart[60_000]).count(.synthetic) == 0)
    }
}
