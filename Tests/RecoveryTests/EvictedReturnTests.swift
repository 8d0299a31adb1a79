import Foundation
import Testing
import Wire
@testable import Recovery

/// A sensor evicted at the `max-sensors` cap that comes back while its aggregate window is still
/// current, answering the resend request for a seq that was filled meanwhile (issue 29, item 7).
@Suite("A sensor evicted at the cap and back in the same window")
struct EvictedReturnTests {
    /// A multiple of the 60 s aggregate window: seqs 0-59 fall in the window starting here.
    static let base: Int64 = 1_795_659_960_000
    static func ts(_ seq: Int) -> Int64 { base + Int64(seq) * 1000 }

    static func run() -> Harness {
        var h = Harness {
            $0.maxSensors = 2
            $0.sensorRetentionMs = 86_400_000
        }
        let start = h.now
        // a: 0, 1, 2 and 4 (3 lost: asked for, then filled when the window closed).
        for seq in [0, 1, 2, 4] { h.send("a", seq: seq, ts: ts(seq), at: start + Int64(seq) * 1000) }
        h.send("b", seq: 0, at: start + 4_500)
        h.advance(6_000)
        h.send("b", seq: 1, at: start + 30_000)
        h.advance(0)
        // a is silent for a minute; c takes its place.
        h.send("c", seq: 0, at: start + 66_000)
        // a comes back 4 s later (c heard once, so evictable after 5 s) with its buffer: the real 3,
        // then 5-60, all in the aggregate window it was evicted in but the last.
        h.send("a", seq: 3, ts: ts(3), at: start + 71_100)
        for seq in 5...60 { h.send("a", seq: seq, ts: ts(seq), at: start + 71_100 + Int64(seq) * 10) }
        h.advance(10_000)
        return h
    }

    @Test("the window it was evicted in continues at revision 1 with everything, never a second revision 0")
    func windowContinues() throws {
        let h = Self.run()
        #expect(h.engine.counters.evicted == 2)
        let windows = try h.log.of(.aggregate).filter { $0.topic == "aggregates/a/temperature/60s" }
            .map { try WireJSON.decode(AggregateWindowMessage.self, from: $0.payload) }
            .filter { $0.windowStart == Self.base }
        #expect(windows.map(\.revision) == [0, 1], "\(windows)")
        #expect(windows.map(\.count) == [5, 60], "\(windows)")
        #expect(windows.map(\.synthetic) == [1, 0], "\(windows)")
        #expect(windows.map(\.ok) == [4, 60], "\(windows)")
    }

    @Test("the real reading for the filled seq restates it; nothing is dead-lettered; every seq once")
    func realReadingRestates() throws {
        let h = Self.run()
        let letters = h.log.of(.deadLetter).filter { $0.topic == "dlq/a/temperature" }.map { $0.reason ?? "?" }
        #expect(letters.isEmpty, "\(letters)")
        let cleaned = try h.log.cleaned.filter { $0.topic == "cleaned/a/temperature" }.map { try WireJSON.decode(CleanedReading.self, from: $0.payload) }
        #expect(cleaned.filter { $0.quality == .restated }.map(\.seq) == [3])
        #expect(cleaned.first { $0.quality == .restated }?.supersedes == "synthetic")
        let accounting = StreamAccounting(cleaned)
        #expect(accounting.allProblems.isEmpty, "\(accounting.allProblems)")
        #expect(accounting.coveredSeqs[StreamKey(sensorID: "a", boot: nil)] == Array(0...60))
    }
}
