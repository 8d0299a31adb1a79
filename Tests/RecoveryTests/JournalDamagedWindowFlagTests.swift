import Foundation
import Testing

@testable import Recovery

/// A stream that publishes a `journal_damaged` gap (the broker's `latest/` past what the engine
/// released: a data folder wiped or put back from an older copy) sends the windows that began
/// before it flagged `"journal_damaged":true`: they may count fewer readings than the consumers
/// hold (found in review: a wiped data folder sent the open window counting 40 of 60, unflagged).
@Suite("Aggregate windows after a journal_damaged gap")
struct JournalDamagedWindowFlagTests {
    static func ts(_ seq: Int) -> Int64 { 1_795_660_000_000 + Int64(seq) * 1000 }

    /// The aggregate messages of sensor `a`, by window start: (count, flagged).
    static func windows(_ log: [Publication]) -> [Int64: (count: Int, flagged: Bool)] {
        var out: [Int64: (Int, Bool)] = [:]
        for p in log.of(.aggregate) where p.topic.hasPrefix("aggregates/a/") {
            let j = p.json
            out[(j["window_start"] as? NSNumber)?.int64Value ?? -1] = ((j["count"] as? NSNumber)?.intValue ?? -1, j["journal_damaged"] as? Bool == true)
        }
        return out
    }

    @Test(
        "the broker's latest/ past the engine: the window the journal_damaged gap reaches goes out flagged, also after a restore from the snapshot; the windows after it and other sensors' windows do not",
        arguments: [false, true])
    func windowBeforeTheGapFlagged(restored: Bool) throws {
        var h = Harness()
        for seq in 0..<5 {
            h.send("a", seq: seq)
            h.send("b", seq: seq)
        }
        h.advance(3000)
        let ahead = h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 9, ts: Self.ts(9), boot: nil)])
        #expect(ahead.map(\.stream) == ["a"])
        for seq in 10..<13 { h.send("a", seq: seq) }
        h.advance(3000)
        #expect(h.log.cleaned.contains { $0.json["sensor_id"] as? String == "a" && $0.reason == "journal_damaged" })
        if restored { try h.restoreFromSnapshot() }
        for seq in 13..<90 {
            h.send("a", seq: seq)
            h.send("b", seq: seq)
        }
        h.advance(3000)
        // Windows of 60 s: ts 0-19 (start 1_795_659_960_000), 20-79, 80-.
        let first = Self.windows(h.log)[1_795_659_960_000]
        #expect(first?.count == 15 && first?.flagged == true, "\(String(describing: first))")
        let second = Self.windows(h.log)[1_795_660_020_000]
        #expect(second?.count == 60 && second?.flagged == false, "\(String(describing: second))")
        let b = h.log.of(.aggregate).filter { $0.topic.hasPrefix("aggregates/b/") }
        #expect(!b.isEmpty && b.allSatisfy { $0.json["journal_damaged"] == nil }, "\(b.map(\.text))")
    }

    @Test(
        "a sensor new to a wiped data folder whose retained latest/ is of an earlier boot: its new boot's window, begun before the value, goes out flagged (found black-box, 48th review: 10 counted of 30 consumers held, unflagged)",
        arguments: [2, 1])
    func wipedFolderSensorRebooted(boot: Int) {
        var h = Harness()
        let base: Int64 = 1_795_659_960_000  // a window's start
        #expect(h.engine.publishedBeyondJournal(["latest/a/temperature": .init(seq: 19, ts: base + 19_000, boot: 1)]).isEmpty)
        let first = boot == 1 ? 20 : 0
        for i in 0..<10 { h.send("a", seq: first + i, ts: base + 25_000 + Int64(i) * 1000, boot: boot) }
        h.send("a", seq: first + 10, ts: base + 61_000, boot: boot)
        h.advance(3000)
        h.advance(3000)
        let window = Self.windows(h.log)[base]
        #expect(window?.count == 10 && window?.flagged == true, "\(h.log.of(.aggregate).map(\.text))")
    }
}
