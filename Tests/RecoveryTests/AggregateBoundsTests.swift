import Foundation
import Testing
@testable import Recovery

/// Aggregate windows cost a bounded amount per sensor, whatever a sender's timestamps and gaps.
@Suite("Aggregate windows are bounded")
struct AggregateBoundsTests {
    static let width: Int64 = 60_000

    @Test("estimates beyond the exact few are folded into a summary: counts stay exact, memory does not grow")
    func foldedEstimates() throws {
        var windows = AggregateWindows()
        _ = windows.add(ts: 10, seq: 0, value: 52, quality: .ok, replacing: nil, now: 0, width: Self.width, limit: 100).due
        for seq in 1...1000 {
            let value = seq.isMultiple(of: 2) ? 50.0 : 54.0
            _ =
                windows.add(
                    ts: 10 + Int64(seq), seq: UInt64(seq), value: value, quality: seq <= 500 ? .synthetic : .corrected,
                    replacing: nil, now: 0, width: Self.width, limit: 100
                ).due
        }
        let window = try #require(windows.windows.first)
        #expect(window.estimates.count == AggregateWindows.Window.exactEstimates)
        #expect(window.count(.synthetic) == 500)
        #expect(window.count(.corrected) == 500)
        #expect(window.all.count == 1001)
        let sum: Double = 52 + 500 * 50 + 500 * 54
        #expect(window.all.sum == sum)

        // Restating an estimate kept exactly takes out exactly its value.
        _ = windows.add(ts: 11, seq: 1, value: 53, quality: .restated, replacing: .synthetic, now: 0, width: Self.width, limit: 100).due
        var w = try #require(windows.windows.first)
        #expect(w.count(.synthetic) == 499)
        #expect(w.all.count == 1001)
        #expect(w.all.sum == sum - 54 + 53)
        // Restating a folded one keeps every count exact; the mean moves by the folded mean.
        _ = windows.add(ts: 900, seq: 900, value: 52, quality: .restated, replacing: .corrected, now: 0, width: Self.width, limit: 100).due
        w = try #require(windows.windows.first)
        #expect(w.count(.corrected) == 499)
        #expect(w.real.count == 3)
        #expect(w.all.count == 1001)
        // The folded summaries read back from the keyed form of older snapshots.
        let keyed = try JSONDecoder().decode(AggregateWindows.Window.self, from: JSONEncoder().encode(w))
        #expect(keyed == w)
        #expect(keyed.count(.corrected) == 499)
    }

    @Test("a window whose folded estimates are all restated equals one that never folded any")
    func foldedEmptiedAgain() {
        var folded = AggregateWindows.Window(start: 0)
        folded.foldedSynthetic.add(51)
        #expect(folded != AggregateWindows.Window(start: 0))
        folded.removeEstimate(seq: 7, earlier: .synthetic, ofClosedEpoch: false)
        #expect(folded.count(.synthetic) == 0)
        #expect(folded == AggregateWindows.Window(start: 0))
    }

    @Test("readings scattered over thousands of past windows keep at most the limit, and later windows still close")
    func scatteredPastTimestamps() {
        var windows = AggregateWindows()
        let limit = EngineConfiguration().aggregateWindowsPerSensor
        var published = 0
        var starts = Set<Int64>()
        let now: Int64 = 1_795_660_000_000
        published += windows.add(ts: now, seq: 0, value: 52, quality: .ok, replacing: nil, now: now, width: Self.width, limit: limit).due.count
        for i in 1...10_000 {
            let ts = now - Int64(i) * 7 * Self.width  // a new past window each time
            let due = windows.add(
                ts: ts, seq: UInt64(i), value: 52, quality: .ok, replacing: nil, now: now, width: Self.width,
                limit: limit
            ).due
            published += due.count
            starts.formUnion(due.map(\.start))
            #expect(windows.windows.count <= limit)
        }
        // A reading a window later closes what is open; the newest real window went out when the
        // clock first went back (it gets no more readings until it returns).
        let due = windows.add(
            ts: now + Self.width, seq: 10_001, value: 52, quality: .ok, replacing: nil, now: now, width: Self.width,
            limit: limit
        ).due
        starts.formUnion(due.map(\.start))
        #expect(starts.contains(AggregateWindows.floor(now, Self.width)))
        #expect(windows.windows.count <= limit)
        // Every window that was forgotten while open was published first: each window is published at least once.
        #expect(published + due.count >= 10_001)
    }

    @Test("the engine publishes later windows of a sensor that once sent a far-past timestamp")
    func farPastDoesNotStopClosing() {
        var h = Harness { $0.aggregateWindowMs = 10_000 }
        for seq in 0..<5 { h.send(seq: seq) }
        h.send(seq: 5, ts: 1000)  // 1970
        for seq in 6..<40 { h.send(seq: seq) }
        h.advance(3000)
        let starts = h.log.filter { $0.kind == .aggregate }.compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value }
        #expect(starts.contains(0))
        #expect(starts.filter { $0 > 1_000_000_000_000 }.count >= 3)
    }
}
