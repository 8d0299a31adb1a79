import Foundation
import Testing
@testable import Recovery

/// Per-sensor valid ranges and fills (`sensor.<pattern>.<setting>`): the sensors a pattern
/// names are judged and filled by its settings, every other sensor by the gateway's.
@Suite("Per-sensor overrides")
struct SensorOverrideTests {
    @Test(
        "patterns: * is any run of id characters, ? one; two patterns overlap when some id matches both",
        arguments: [
            ("oven-*", "oven-1", true), ("oven-*", "oven-", true), ("oven-*", "Oven-1", false), ("oven-?", "oven-12", false),
            ("*-temp", "line3-temp", true), ("l?ne*", "line-7", true), ("bearing-7", "bearing-7", true), ("bearing-7", "bearing-70", false),
        ])
    func matching(pattern: String, id: String, matches: Bool) throws {
        #expect(try #require(SensorIDPattern(pattern)).matches(id) == matches)
    }

    @Test(
        "overlaps",
        arguments: [
            ("oven-*", "oven-1", true), ("oven-*", "*-1", true), ("oven-*", "bearing-*", false), ("a?c", "*b*", true),
            ("a?c", "abd", false), ("*x", "y*", true), ("ab", "ab*", true), ("ab", "a", false), ("oven-?", "oven-12", false),
        ])
    func overlapping(a: String, b: String, overlap: Bool) throws {
        let (p, q) = (try #require(SensorIDPattern(a)), try #require(SensorIDPattern(b)))
        #expect(p.overlaps(q) == overlap)
        #expect(q.overlaps(p) == overlap)
    }

    @Test("a pattern is 1-64 characters of the id alphabet with * and ?", arguments: ["", "oven/1", "oven+", "#", String(repeating: "a", count: 65)])
    func invalid(text: String) {
        #expect(SensorIDPattern(text) == nil)
    }

    static func harness() -> Harness {
        Harness {
            $0.sensorOverrides = [SensorOverride(pattern: SensorIDPattern("oven-*")!, validMin: 0, validMax: 400, fill: .locf)]
        }
    }

    @Test("an oven probe at 300 °C is ok under its override; a bearing probe at 300 °C is corrected and dead-lettered out_of_range")
    func ranges() {
        var h = Self.harness()
        for seq in 0..<3 {
            h.send("oven-1", seq: seq, temp: 300 + Double(seq))
            h.send("bearing-1", seq: seq, temp: seq == 1 ? 300 : 52)
        }
        h.advance(3000)
        let oven = h.log.cleaned.filter { $0.topic == "cleaned/oven-1/temperature" }
        #expect(oven.map(\.quality) == ["ok", "ok", "ok"])
        #expect(oven.map(\.temperature) == [300, 301, 302])
        let bearing = h.log.cleaned.filter { $0.topic == "cleaned/bearing-1/temperature" }
        #expect(bearing.map(\.quality) == ["ok", "corrected", "ok"])
        #expect(bearing[1].temperature.map { (50...55).contains($0) } == true)
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/bearing-1/temperature"])
        #expect(h.log.of(.deadLetter).first?.reason == "out_of_range")
    }

    @Test("a gap of an oven probe is filled by its own method (locf) within its own range; a bearing probe's by the gateway's (linear)")
    func fills() {
        var h = Self.harness()
        for seq in [0, 2] {
            h.send("oven-1", seq: seq, temp: seq == 0 ? 300 : 310)
            h.send("bearing-1", seq: seq, temp: seq == 0 ? 51 : 53)
        }
        for _ in 0..<60 { h.advance(1000) }
        let oven = h.log.cleaned.filter { $0.topic == "cleaned/oven-1/temperature" && $0.seq == 1 }
        #expect(oven.map(\.quality) == ["synthetic"])
        #expect(oven.first?.temperature == 300)
        #expect(oven.first?.json["method"] as? String == "locf")
        let bearing = h.log.cleaned.filter { $0.topic == "cleaned/bearing-1/temperature" && $0.seq == 1 }
        #expect(bearing.first?.temperature == 52)
        #expect(bearing.first?.json["method"] as? String == "linear")
    }

    @Test(
        "an override's max-fill sets the sensor's fill allowance from its first reading: a hole it allows is filled, not a gap counted as rate-limited (found black-box, 64th review)"
    )
    func overrideMaxFillAllowance() {
        var h = Harness {
            $0.maxFill = 600
            $0.sensorOverrides = [SensorOverride(pattern: SensorIDPattern("tb-*")!, maxFill: 1500)]
        }
        // 1,299 missing: past twice the gateway's 600, within the override's 1,500.
        h.send("tb-1", seq: 0, temp: 52)
        h.send("tb-1", seq: 1300, temp: 52)
        for _ in 0..<10 { h.advance(1000) }
        let tb = h.log.cleaned.filter { $0.topic == "cleaned/tb-1/temperature" }
        #expect(tb.filter { $0.quality == "synthetic" }.count == 1299)
        #expect(!tb.contains { $0.quality == "gap" })
        #expect(h.engine.counters.output.fillsRateLimited == 0)
    }

    @Test("a reload that drops the override judges the oven probe by the gateway's range from then on")
    func reloaded() {
        var h = Self.harness()
        h.send("oven-1", seq: 0, temp: 300)
        h.advance(3000)
        var plain = h.engine.configuration
        plain.sensorOverrides = nil
        var none: [Publication] = []
        h.engine.reconfigure(plain, at: h.now, into: &none)
        h.send("oven-1", seq: 1, temp: 300)
        h.advance(3000)
        #expect(h.log.summary == ["0:ok", "1:corrected"])
    }

    @Test("overrides survive the journaled form of the settings and a snapshot")
    func persisted() throws {
        let h = Self.harness()
        let encoded = JournalRecords.encodeConfiguration(h.engine.configuration)
        #expect(JournalRecords.decodeConfiguration(encoded) == h.engine.configuration)
        var older = h.engine.configuration
        older.sensorOverrides = nil
        let withoutField = JournalRecords.encodeConfiguration(older)
        #expect(!String(decoding: withoutField, as: UTF8.self).contains("sensorOverrides"))
        #expect(JournalRecords.decodeConfiguration(withoutField)?.sensorOverrides == nil)
    }
}
