import Foundation
import Testing

@testable import Recovery

/// A restart that changes `aggregate-window-s` publishes the open windows of the old width as
/// they stand; found black-box: a reading that came late after it, for a seq published as an
/// estimate before it, was added to a window of the new width while the old window kept
/// counting its estimate, so one reading was counted twice across the two widths.
@Suite("Aggregates across a change of window width")
struct AggregateWidthChangeTests {
    /// The newest revision of each window, by topic and start: what a consumer keeps.
    static func latestWindows(_ log: [Publication]) -> [String: [String: Any]] {
        var latest: [String: [String: Any]] = [:]
        for p in log.of(.aggregate) {
            let key = "\(p.topic) \(p.json["window_start"] ?? "")"
            if (p.json["revision"] as? Int ?? -1) >= (latest[key]?["revision"] as? Int ?? -1) { latest[key] = p.json }
        }
        return latest
    }

    @Test("each reading is counted once over both widths; a restatement from before the change leaves the old window final")
    func restatementAfterWidthChange() {
        var h = Harness { $0.aggregateWindowMs = 10_000 }
        let ts0: Int64 = 1_795_660_000_000
        for seq in 0..<30 where seq != 25 { h.send(seq: seq, ts: ts0 + Int64(seq) * 1000, at: h.now + 1000) }
        for _ in 0..<20 { h.advance(1000) }  // seq 25 filled, the windows so far closed
        var wider = h.engine.configuration
        wider.aggregateWindowMs = 20_000
        var changed: [Publication] = []
        h.engine.reconfigure(wider, at: h.now, into: &changed)
        h.log += changed
        // The new width's window from 20 s opens with seqs 30-32; then seq 25 (its ts in that
        // window too) comes late.
        for seq in 30..<33 { h.send(seq: seq, ts: ts0 + Int64(seq) * 1000, at: h.now + 1000) }
        h.send(seq: 25, ts: ts0 + 25_000, at: h.now + 100)
        #expect(h.log.cleaned.filter { $0.seq == 25 }.map(\.quality) == ["synthetic", "restated"])
        for seq in 33..<50 { h.send(seq: seq, ts: ts0 + Int64(seq) * 1000, at: h.now + 1000) }
        for _ in 0..<60 { h.advance(1000) }
        let windows = Self.latestWindows(h.log)
        let counted = windows.values.reduce(0) { $0 + ($1["count"] as? Int ?? 0) }
        // Seqs 0-29 in three 10 s windows (the last closed early at the change), 30-39 in the
        // closed 20 s window from 20 s (40-49 wait in one still open): 40 readings, each once.
        #expect(counted == 40, "\(windows.keys.sorted()) count \(counted)")
        #expect(windows["aggregates/s1/temperature/20s \(ts0 + 20_000)"]?["synthetic"] as? Int == 0)
        // The restatement changed no window: counted as one no window counts (found black-box,
        // 81st review: the skipped counter stayed 0).
        #expect(h.engine.counters.output.aggregateSkipped == 1)
    }
}
