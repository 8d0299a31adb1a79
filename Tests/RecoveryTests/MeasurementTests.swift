import Foundation
import Testing
@testable import Recovery

/// Measurements besides temperature (`measurement.<name>.<setting>`): each (sensor,
/// measurement) is a stream of its own, with its own range, topics and payload field, while the
/// temperature stream of the same sensor goes on as before.
@Suite("Measurements")
struct MeasurementTests {
    static let ts: Int64 = 1_795_660_000_000

    static func harness() -> Harness {
        Harness {
            $0.measurements = [
                MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100),
                MeasurementDefinition(name: "pressure", unit: "bar", validMin: 0.5, validMax: 1.5, fill: .locf),
            ]
        }
    }

    static func body(_ seq: Int, _ field: String, _ value: Double, boot: Int? = nil) -> String {
        "{\"seq\":\(seq),\"ts\":\(ts + Int64(seq) * 1000),\"\(field)\":\(value),\"status\":\"normal\"\(boot.map { ",\"boot\":\($0)" } ?? "")}"
    }

    static func text(_ p: Publication) -> String { String(decoding: p.payload, as: UTF8.self) }

    @Test(
        "a humidity reading comes out on cleaned/<id>/humidity with the value under its name and the unit; the same sensor's temperature is a stream of its own, byte for byte as before"
    )
    func streams() {
        var h = Self.harness()
        h.raw("sensors/hum-7/humidity", Self.body(0, "humidity", 41.2))
        h.raw("sensors/hum-7/humidity", Self.body(1, "value", 41.5))
        h.send("hum-7", seq: 0, temp: 52)
        h.advance(3000)
        let humidity = h.log.cleaned.filter { $0.topic == "cleaned/hum-7/humidity" }.map(Self.text)
        #expect(
            humidity == [
                "{\"sensor_id\":\"hum-7\",\"seq\":0,\"ts\":\(Self.ts),\"humidity\":41.2,\"unit\":\"%RH\",\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\"sensor_id\":\"hum-7\",\"seq\":1,\"ts\":\(Self.ts + 1000),\"humidity\":41.5,\"unit\":\"%RH\",\"status\":\"normal\",\"quality\":\"ok\"}",
            ])
        #expect(
            h.log.cleaned.filter { $0.topic == "cleaned/hum-7/temperature" }.map(Self.text) == [
                "{\"sensor_id\":\"hum-7\",\"seq\":0,\"ts\":\(Self.ts),\"temperature\":52.0,\"status\":\"normal\",\"quality\":\"ok\"}"
            ])
        #expect(h.log.of(.latest).map(\.topic).sorted() == ["latest/hum-7/humidity", "latest/hum-7/humidity", "latest/hum-7/temperature"])
        #expect(h.engine.sensorCount == 2)
        // Each stream announces its state on a retained topic of its own.
        let c = h.engine.configuration
        #expect(SensorTopics(sensorID: "hum-7", measurement: "humidity", configuration: c).state == "gateway/gw/sensors/hum-7/humidity")
        #expect(SensorTopics(sensorID: "hum-7", configuration: c).state == "gateway/gw/sensors/hum-7")
        #expect(h.engine.summaries.map { "\($0.sensorID) \($0.measurement ?? "-")" } == ["hum-7 humidity", "hum-7 -"])
    }

    @Test("each measurement has its own range: 120 %RH is corrected into 0-100 and dead-lettered on dlq/<id>/humidity; 52 °C beside it is fine")
    func ranges() {
        var h = Self.harness()
        for seq in 0..<3 { h.raw("sensors/hum-7/humidity", Self.body(seq, "humidity", seq == 1 ? 120 : 40 + Double(seq))) }
        h.raw("sensors/p-1/pressure", Self.body(0, "pressure", 52))
        h.advance(3000)
        let humidity = h.log.cleaned.filter { $0.topic == "cleaned/hum-7/humidity" }
        #expect(humidity.map(\.quality) == ["ok", "corrected", "ok"])
        #expect((humidity[1].json["humidity"] as? Double).map { (0...100).contains($0) } == true)
        #expect(humidity[1].json["raw"] as? Double == 120)
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/hum-7/humidity", "dlq/p-1/pressure"])
        #expect(h.log.of(.deadLetter).map(\.reason) == ["out_of_range", "out_of_range"])
    }

    @Test("a missing humidity reading is asked for with \"measurement\":\"humidity\" and filled by the measurement's own method (pressure: locf)")
    func gaps() {
        var h = Self.harness()
        for seq in [0, 2] { h.raw("sensors/p-1/pressure", Self.body(seq, "pressure", seq == 0 ? 1.0 : 1.2)) }
        for _ in 0..<60 { h.advance(1000) }
        let requests = h.log.of(.resendRequest)
        #expect(!requests.isEmpty && requests.allSatisfy { $0.topic == "sensors/p-1/resend" })
        #expect(requests.first.map(Self.text) == "{\"from_seq\":1,\"to_seq\":1,\"measurement\":\"pressure\"}")
        let filled = h.log.cleaned.filter { $0.topic == "cleaned/p-1/pressure" && $0.seq == 1 }
        #expect(filled.map(\.quality) == ["synthetic"])
        #expect(filled.first?.json["pressure"] as? Double == 1.0)
        #expect(filled.first?.json["method"] as? String == "locf")
        #expect(filled.first?.json["unit"] as? String == "bar")
    }

    @Test("a gap of another measurement names it (it has no value to): a replay answer or an export line can tell whose it is")
    func gapNamesMeasurement() {
        var h = Harness {
            $0.maxFill = 3
            $0.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100)]
        }
        h.raw("sensors/h-1/humidity", Self.body(0, "humidity", 40))
        h.raw("sensors/h-1/humidity", Self.body(10, "humidity", 41))
        h.send("h-1", seq: 0)
        h.send("h-1", seq: 10)
        for _ in 0..<60 { h.advance(1000) }
        let gaps = h.log.cleaned.filter { $0.quality == "gap" }.map { "\($0.topic) \(Self.text($0))" }.sorted()
        let span = "\"seq\":1,\"ts\":\(Self.ts),\"quality\":\"gap\",\"from_seq\":1,\"to_seq\":9,\"from_ts\":\(Self.ts),\"to_ts\":\(Self.ts + 10_000)"
        #expect(
            gaps == [
                "cleaned/h-1/humidity {\"sensor_id\":\"h-1\",\(span),\"measurement\":\"humidity\"}",
                "cleaned/h-1/temperature {\"sensor_id\":\"h-1\",\(span)}",
            ], "\(gaps)")
    }

    @Test("a humidity payload is held to the same rules under its own name: missing, wrong type, a temperature field ignored")
    func payloadRules() {
        var h = Self.harness()
        h.raw("sensors/hum-7/humidity", "{\"seq\":0,\"ts\":\(Self.ts),\"temperature\":41,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"seq\":0,\"ts\":\(Self.ts),\"humidity\":\"wet\",\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"seq\":0,\"ts\":\(Self.ts),\"humidity\":41,\"humidity\":42,\"status\":\"normal\"}")
        #expect(h.log.of(.deadLetter).map(\.reason) == ["missing_field:humidity", "bad_type:humidity", "malformed_json"])
        #expect(Set(h.log.of(.deadLetter).map(\.topic)) == ["dlq/hum-7/humidity"])
    }

    @Test("a topic of a measurement not configured is not a reading: dead-lettered invalid_sensor_id on dlq/_invalid/temperature")
    func unconfigured() {
        var h = Harness()
        h.raw("sensors/hum-7/humidity", Self.body(0, "humidity", 41))
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/_invalid/temperature"])
        #expect(h.engine.sensorCount == 0)
    }

    @Test("aggregates go to aggregates/<id>/humidity/<window>")
    func aggregates() {
        var h = Self.harness()
        for seq in 0..<3 { h.raw("sensors/hum-7/humidity", Self.body(seq, "humidity", 40)) }
        h.raw("sensors/hum-7/humidity", Self.body(70, "humidity", 40, boot: 2))
        for _ in 0..<10 { h.advance(1000) }
        #expect(h.log.of(.aggregate).map(\.topic).allSatisfy { $0 == "aggregates/hum-7/humidity/60s" })
        #expect(!h.log.of(.aggregate).isEmpty)
    }

    @Test(
        "a measurement removed by new settings: its streams publish what they hold as that measurement (fills included), announce expired, and are forgotten; its readings after that are dead-lettered"
    )
    func removed() {
        var h = Self.harness()
        for seq in [0, 1, 3] { h.raw("sensors/h-1/humidity", Self.body(seq, "humidity", 40 + Double(seq))) }
        h.send("h-1", seq: 0, temp: 52)
        #expect(h.log.cleaned.isEmpty)  // all held: a new stream's first readings wait a window
        var plain = h.engine.configuration
        plain.measurements = [plain.measurements![1]]  // pressure stays, humidity goes
        var out: [Publication] = []
        h.engine.reconfigure(plain, at: h.now, into: &out)
        let cleaned = out.filter { $0.kind == .cleaned }
        #expect(cleaned.map(\.topic) == Array(repeating: "cleaned/h-1/humidity", count: 4))
        #expect(cleaned.map(\.summaryLine) == ["0:ok:40.0:%RH", "1:ok:41.0:%RH", "2:synthetic:42.0:%RH", "3:ok:43.0:%RH"])
        #expect(
            out.filter { $0.kind == .sensorState }.map { "\($0.topic) \(Self.text($0))".contains("gateway/gw/sensors/h-1/humidity {\"state\":\"expired\"") }
                == [true])
        #expect(h.engine.summaries.map { "\($0.sensorID) \($0.measurement ?? "temperature")" } == ["h-1 temperature"])
        h.log = []
        h.raw("sensors/h-1/humidity", Self.body(4, "humidity", 44))
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/_invalid/temperature"])
        #expect(h.log.cleaned.isEmpty)
    }

    @Test(
        "a measurement removed and declared again continues each stream where it stopped: a late reading restates its fill, an old one is too late, nothing published is published again, latest/ never goes back (found black-box: the stream started afresh and re-estimated seqs published ok)"
    )
    func declaredAgain() {
        var h = Self.harness()
        for seq in [0, 1, 2, 3, 4, 7, 8] { h.raw("sensors/h-1/humidity", Self.body(seq, "humidity", 40 + Double(seq))) }
        for _ in 0..<10 { h.advance(1000) }
        #expect(h.log.cleaned.map(\.summaryLine).filter { $0.contains(":synthetic:") }.map { $0.prefix(1) } == ["5", "6"])
        let declared = h.engine.configuration
        var without = declared
        without.measurements = [declared.measurements![1]]
        var out: [Publication] = []
        h.engine.reconfigure(without, at: h.now, into: &out)
        for _ in 0..<5 { h.advance(1000) }
        h.engine.reconfigure(declared, at: h.now, into: &out)
        h.log = []
        h.raw("sensors/h-1/humidity", Self.body(6, "humidity", 46))  // late: restates its fill
        h.raw("sensors/h-1/humidity", Self.body(3, "humidity", 43))  // published ok: a duplicate
        h.raw("sensors/h-1/humidity", Self.body(9, "humidity", 49))
        for _ in 0..<5 { h.advance(1000) }
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/h-1/humidity" }.map(\.summaryLine) == ["6:restated:46.0:%RH", "9:ok:49.0:%RH"])
        let latest = h.log.filter { $0.topic == "latest/h-1/humidity" }.compactMap { $0.json["seq"] as? Int }
        #expect(latest == [9], "latest/ moves on to 9 only: 6 is older than the 8 it held")
    }
}

extension Publication {
    /// "seq:quality:value:unit" of a cleaned message of another measurement.
    fileprivate var summaryLine: String {
        let j = json
        let value =
            j.first { !["sensor_id", "seq", "ts", "unit", "status", "quality", "method", "boot", "supersedes", "raw", "reason"].contains($0.key) }?.value
            as? Double
        return "\(seq ?? -1):\(quality ?? "?"):\(value.map { "\($0)" } ?? "-"):\(j["unit"] as? String ?? "-")"
    }
}
