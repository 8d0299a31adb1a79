import Foundation
import Testing
@testable import Recovery

/// State written before the issue-29 fields existed (asked ranges, a forgotten sensor's fills and
/// windows, windows closed early, the skipped future checks) still decodes.
@Suite("Engine state from before issue 29")
struct OlderStateTests {
    /// Removes the keys added for issue 29 from an encoded engine, at any depth.
    static func strip(_ value: Any) -> Any {
        if let array = value as? [Any] { return array.map(strip) }
        guard var object = value as? [String: Any] else { return value }
        for key in ["asked", "closedEarly", "futureCheckSkipped"] { object.removeValue(forKey: key) }
        if object["tsStep"] != nil && object["topics"] == nil {  // a RememberedSensor
            object.removeValue(forKey: "history")
            object.removeValue(forKey: "aggregates")
        }
        return object.mapValues(strip)
    }

    @Test("an engine encoded without the new keys decodes, with none of them set")
    func decodesWithoutNewKeys() throws {
        var h = EvictedReturnTests.run()
        h.send("b", seq: 2, at: h.now + 1)
        h.now += 70_000
        h.send("d", seq: 0)  // evicts one more, so a forgotten sensor is remembered with its windows
        let full = try JSONEncoder().encode(h.engine)
        let fullText = String(decoding: full, as: UTF8.self)
        // `closedEarly` now travels inside the packed windows (format 6); keyed windows without it
        // (format 5) are read in StatePlateauTests.packedWindows.
        #expect(fullText.contains("\"asked\"") && fullText.contains("\"futureCheckSkipped\""))
        let stripped = try JSONSerialization.data(withJSONObject: Self.strip(try JSONSerialization.jsonObject(with: full)))
        let strippedText = String(decoding: stripped, as: UTF8.self)
        #expect(!strippedText.contains("\"asked\"") && !strippedText.contains("\"closedEarly\"") && !strippedText.contains("\"futureCheckSkipped\""))
        let older = try JSONDecoder().decode(RecoveryEngine.self, from: stripped)
        #expect(older.sensorCount == h.engine.sensorCount)
        #expect(older.counters.futureCheckSkipped == 0)
        #expect(older.counters.evicted == h.engine.counters.evicted)
    }
}
