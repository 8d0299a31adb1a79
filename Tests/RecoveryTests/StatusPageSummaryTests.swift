import Foundation
import Testing
@testable import Recovery

/// What a sensor's summary tells the status page beyond its counts: the open gap it waits on,
/// and its newest flagged publication with the time the engine made it.
@Suite("Sensor summaries for the status page")
struct StatusPageSummaryTests {
    @Test("an open gap shows as the missing seqs until it is filled; the fill is stamped with the tick's time")
    func openGapThenFill() throws {
        var h = Harness()
        h.send(seq: 0)
        h.advance(2500)  // the new sensor's start wait ends: seq 0 published
        h.send(seq: 1, at: h.now + 1000)
        #expect(h.engine.summaries.first?.missing == nil)
        #expect(h.engine.summaries.first?.lastFlagged == nil)
        h.send(seq: 4, at: h.now + 3000)  // 2 and 3 missing: held, a resend asked for
        #expect(h.engine.summaries.first?.missing == 2...3)
        let heldAt = h.now
        h.advance(2000)  // the reorder window closes: 2 and 3 filled
        let summary = try #require(h.engine.summaries.first)
        #expect(summary.missing == nil)
        #expect(summary.lastFlagged == SensorSummary.Flagged(quality: .synthetic, at: heldAt + 2000))
        #expect(summary.output.synthetic == 2)
    }

    @Test("a corrected reading is stamped with the receive time of the message that released it; ok readings leave it")
    func correctedStamp() throws {
        var h = Harness()
        h.send(seq: 0)
        h.advance(2500)
        h.send(seq: 1, temp: 80, at: h.now + 1000)  // out of range: held for its right neighbour
        h.send(seq: 2, at: h.now + 1000)
        let correctedAt = h.now
        #expect(h.engine.summaries.first?.lastFlagged == SensorSummary.Flagged(quality: .corrected, at: correctedAt))
        h.send(seq: 3, at: h.now + 1000)
        h.advance(500)
        #expect(h.engine.summaries.first?.lastFlagged?.at == correctedAt)
    }

    @Test("lastFlagged is kept in snapshots, and a summary saved before it existed decodes without it")
    func codable() throws {
        var h = Harness()
        h.send(seq: 0)
        h.advance(2500)
        h.send(seq: 2, at: h.now + 1000)
        h.advance(3000)
        let summary = try #require(h.engine.summaries.first)
        #expect(summary.lastFlagged?.quality == .synthetic)
        let data = try JSONEncoder().encode(summary)
        let decoded = try JSONDecoder().decode(SensorSummary.self, from: data)
        #expect(decoded.lastFlagged == summary.lastFlagged && decoded.output == summary.output)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["missing"] == nil, "the open gap is live state, never saved")
        object.removeValue(forKey: "lastFlagged")
        let old = try JSONDecoder().decode(SensorSummary.self, from: JSONSerialization.data(withJSONObject: object))
        #expect(old.lastFlagged == nil && old.output == summary.output)
    }
}
