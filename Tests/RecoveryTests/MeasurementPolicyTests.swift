import Foundation
import Testing
@testable import Recovery

/// What a stream of another measurement is held to besides its measurement's settings: a
/// per-sensor override (`sensor.<pattern>/<measurement>.<setting>`) and the other names its
/// firmware gives the JSON fields (`measurement.<name>.json-fields`).
@Suite("Per-sensor overrides and field names for measurements")
struct MeasurementPolicyTests {
    static let ts = MeasurementTests.ts

    static func harness(_ change: (inout EngineConfiguration) -> Void = { _ in }) -> Harness {
        Harness {
            $0.measurements = [
                MeasurementDefinition(
                    name: "humidity", unit: "%RH", validMin: 0, validMax: 100,
                    jsonFields: try! JSONFieldNames(parsing: "value=rh, seq=sn, ts=time", reserved: "humidity"))
            ]
            $0.sensorOverrides = [SensorOverride(pattern: SensorIDPattern("dry-*")!, measurement: "humidity", validMax: 30, fill: .locf)]
            change(&$0)
        }
    }

    static func text(_ p: Publication) -> String { String(decoding: p.payload, as: UTF8.self) }

    @Test("dry-1's humidity is held to 0-30 and filled by locf (its override); hum-1's to 0-100, filled linearly; dry-1's temperature to 50-55")
    func override() throws {
        var h = Self.harness()
        for seq in [0, 1, 3] {
            for sensor in ["dry-1", "hum-1"] {
                h.raw("sensors/\(sensor)/humidity", MeasurementTests.body(seq, "humidity", seq == 3 ? 50 : 20 + Double(seq)))
            }
            h.send("dry-1", seq: seq, temp: 52)
        }
        for _ in 0..<60 { h.advance(1000) }
        func cleaned(_ topic: String) -> [Publication] { h.log.cleaned.filter { $0.topic == topic } }
        let dry = cleaned("cleaned/dry-1/humidity")
        try #require(dry.map(\.quality) == ["ok", "ok", "synthetic", "corrected"])
        #expect(dry[2].value("humidity") == 21, "locf: seq 1's value")
        #expect(dry[3].value("humidity").map { (0...30).contains($0) } == true, "\(dry.map(Self.text))")
        let hum = cleaned("cleaned/hum-1/humidity")
        try #require(hum.map(\.quality) == ["ok", "ok", "synthetic", "ok"])
        #expect(hum[2].value("humidity").map { $0 > 21 && $0 < 50 } == true, "linear between 21 and 50: \(hum.map(Self.text))")
        #expect(cleaned("cleaned/dry-1/temperature").map(\.quality) == ["ok", "ok", "synthetic", "ok"])
        #expect(h.log.of(.deadLetter).map(\.topic) == ["dlq/dry-1/humidity"])
    }

    @Test("an override for a measurement names no temperature stream: a temperature-only override leaves humidity alone")
    func temperatureOnly() {
        var h = Self.harness {
            $0.sensorOverrides = [SensorOverride(pattern: SensorIDPattern("oven-*")!, validMin: 0, validMax: 400)]
        }
        h.raw("sensors/oven-1/humidity", MeasurementTests.body(0, "humidity", 300))
        h.send("oven-1", seq: 0, temp: 300)
        h.advance(3000)
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/oven-1/temperature" }.map(\.quality) == ["ok"])
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/oven-1/humidity" }.map(\.quality) == ["corrected"])
    }

    @Test(
        "a firmware's names (rh, sn, time) read as value, seq and ts beside the contract's; both names at once is malformed; reasons name the contract's field")
    func fieldNames() {
        var h = Self.harness()
        h.raw("sensors/hum-7/humidity", "{\"sn\":0,\"time\":\(Self.ts),\"rh\":41.5,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", MeasurementTests.body(1, "humidity", 42))
        h.raw("sensors/hum-7/humidity", "{\"sn\":2,\"time\":\"2026-11-26T22:06:42Z\",\"value\":43,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"sn\":3,\"seq\":3,\"time\":\(Self.ts),\"rh\":41.5,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"sn\":\"4\",\"time\":\(Self.ts),\"rh\":41.5,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"sn\":4,\"time\":\(Self.ts),\"rh\":41.5,\"humidity\":41.5,\"status\":\"normal\"}")
        h.raw("sensors/hum-7/humidity", "{\"sn\":4,\"time\":\(Self.ts),\"rh\":true,\"status\":\"normal\"}")
        h.advance(3000)
        let humidity = h.log.cleaned.filter { $0.topic == "cleaned/hum-7/humidity" }
        #expect(humidity.map(\.seq) == [0, 1, 2])
        #expect(humidity.map { $0.value("humidity") } == [41.5, 42, 43])
        #expect(humidity.first.map(Self.text)?.contains("\"ts\":\(Self.ts),") == true)
        #expect(h.log.of(.deadLetter).map(\.reason) == ["malformed_json", "bad_type:seq", "malformed_json", "bad_type:humidity"])
    }

    @Test(
        "a field's name written with escapes is a field given twice for the measurement's own name, value and other names too (found black-box: h\\u0075midity beside humidity was ignored)"
    )
    func escapedNames() {
        var h = Self.harness()
        let ts = Self.ts
        for body in [
            "{\"seq\":0,\"ts\":\(ts),\"humidity\":41,\"h\\u0075midity\":99,\"status\":\"normal\"}",
            "{\"seq\":0,\"ts\":\(ts),\"value\":45,\"v\\u0061lue\":46,\"status\":\"normal\"}",
            "{\"sn\":0,\"s\\u0065q\":0,\"ts\":\(ts),\"rh\":41,\"status\":\"normal\"}",
            "{\"seq\":0,\"ts\":\(ts),\"humidity\":41,\"r\\u0068\":99,\"status\":\"normal\"}",
        ] {
            h.raw("sensors/hum-7/humidity", body)
        }
        #expect(h.log.of(.deadLetter).map(\.reason) == Array(repeating: "malformed_json", count: 4))
        h.raw("sensors/hum-7/humidity", "{\"seq\":0,\"ts\":\(ts),\"humidity\":41,\"n\\u006fte\":\"x\",\"status\":\"normal\"}")
        #expect(h.log.of(.deadLetter).count == 4, "an escaped name of no field is an unknown field, ignored")
    }

    @Test("temperature's names (json-fields) are its own: humidity does not read them, and temperature does not read humidity's")
    func namesPerMeasurement() {
        var h = Self.harness { $0.jsonFields = try! JSONFieldNames(parsing: "value=temp_c") }
        h.raw("sensors/t-1/temperature", "{\"seq\":0,\"ts\":\(Self.ts),\"temp_c\":52.5,\"status\":\"normal\"}")
        h.raw("sensors/t-1/temperature", "{\"sn\":1,\"ts\":\(Self.ts),\"temp_c\":52.5,\"status\":\"normal\"}")
        h.raw("sensors/t-1/humidity", "{\"seq\":0,\"ts\":\(Self.ts),\"temp_c\":52.5,\"status\":\"normal\"}")
        h.advance(3000)
        #expect(h.log.cleaned.map(\.topic) == ["cleaned/t-1/temperature"])
        #expect(h.log.cleaned.first?.temperature == 52.5)
        #expect(h.log.of(.deadLetter).map(\.reason) == ["missing_field:seq", "missing_field:humidity"])
    }

    @Test(
        "json-fields text: field=name pairs; unknown fields, a contract name, a name twice or a field twice are refused",
        arguments: [
            ("value=temp_c, seq = sn ,ts=time", "value=temp_c,seq=sn,ts=time"),
            ("sensor_id=id,status=state,boot=epoch", "sensor_id=id,status=state,boot=epoch"),
            ("value", "is not field=name"), ("colour=c", "is not a field that can be renamed"), ("seq=ts", "already names a field"),
            ("value=temperature", "already names a field"), ("seq=a,seq=b", "seq is renamed twice"), ("seq=a,ts=a", "is given to two fields"),
            ("value=", "cannot name a field"), ("value=a\"b", "cannot name a field"),
        ])
    func parsing(text: String, expected: String) {
        do {
            #expect(try JSONFieldNames(parsing: text).description == expected)
        } catch {
            #expect(error.message.contains(expected), "\(error.message)")
        }
    }
}

/// A measurement's own reorder window and late horizon (`measurement.<name>.reorder-window-ms`,
/// `late-horizon-s`): its streams wait and restate by them, the gateway's streams by the
/// gateway's, through a reload and a snapshot alike.
@Suite("Measurement windows")
struct MeasurementWindowTests {
    static let ts = MeasurementTests.ts

    static func harness(window: Int64 = 10_000, horizon: Int64 = 60_000) -> Harness {
        Harness {
            $0.reorderWindowMs = 2000
            var slow = MeasurementDefinition(name: "level", unit: "m", validMin: 0, validMax: 10)
            (slow.reorderWindowMs, slow.lateHorizonMs) = (window, horizon)
            $0.measurements = [slow]
        }
    }

    static func level(_ seq: Int) -> String { MeasurementTests.body(seq, "level", 5) }

    @Test("a level stream waits its own 10 s, at first sight and for a gap; a temperature gap beside it is filled after the gateway's 2 s")
    func reorderWindow() {
        var h = Self.harness()
        h.raw("sensors/t-1/level", Self.level(0))
        h.send("t-1", seq: 0)
        for _ in 0..<6 { h.advance(1000) }
        #expect(h.log.cleaned.map(\.topic) == ["cleaned/t-1/temperature"], "level's first-sight hold is 10 s")
        for _ in 0..<5 { h.advance(1000) }
        h.raw("sensors/t-1/level", Self.level(2))
        h.send("t-1", seq: 2)
        for _ in 0..<6 { h.advance(1000) }  // 6 s: past 2 s, not past 10 s
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/temperature" }.map(\.quality) == ["ok", "synthetic", "ok"])
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/level" }.map(\.quality) == ["ok"])
        h.raw("sensors/t-1/level", Self.level(1))  // the missing reading, within its window
        h.advance(1000)
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/level" }.map(\.quality) == ["ok", "ok", "ok"])
        #expect(h.engine.nextDeadline().map { $0 > h.now } ?? true)
    }

    @Test("a level estimate can be restated for its own 60 s only: a reading 90 s late is dead-lettered too_late, a temperature one restated")
    func lateHorizon() {
        var h = Self.harness(window: 1000)
        for seq in [0, 2] {
            h.raw("sensors/t-1/level", Self.level(seq))
            h.send("t-1", seq: seq)
        }
        for _ in 0..<90 { h.advance(1000) }
        h.raw("sensors/t-1/level", Self.level(1))
        h.send("t-1", seq: 1)
        h.advance(1000)
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/temperature" }.map(\.quality).last == "restated")
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/level" }.map(\.quality) == ["ok", "synthetic", "ok"])
        #expect(h.log.of(.deadLetter).map { "\($0.topic) \($0.reason ?? "")" } == ["dlq/t-1/level too_late"])
    }

    @Test("a reload that lengthens the level window moves an open level gap's deadline with it, and leaves temperature's alone")
    func reload() {
        var h = Self.harness(window: 3000)
        h.raw("sensors/t-1/level", Self.level(0))
        h.send("t-1", seq: 0)
        h.advance(4000)
        h.raw("sensors/t-1/level", Self.level(2))
        h.send("t-1", seq: 2)
        var longer = h.engine.configuration
        longer.measurements?[0].reorderWindowMs = 20_000
        var out: [Publication] = []
        h.engine.reconfigure(longer, at: h.now, into: &out)
        for _ in 0..<10 { h.advance(1000) }
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/level" }.map(\.quality) == ["ok"], "10 s into a 20 s window")
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/temperature" }.map(\.quality) == ["ok", "synthetic", "ok"])
        for _ in 0..<15 { h.advance(1000) }
        #expect(h.log.cleaned.filter { $0.topic == "cleaned/t-1/level" }.map(\.quality) == ["ok", "synthetic", "ok"])
    }
}

/// A measurement's own aggregate window (`measurement.<name>.aggregate-window-s`): its streams'
/// aggregates are windows of that width on their own topic level; a restart that changes it
/// publishes the open windows as they stand and starts windows of the new width.
@Suite("Measurement aggregate windows")
struct MeasurementAggregateWindowTests {
    static let ts = MeasurementTests.ts

    static func harness(width: Int64) -> Harness {
        Harness {
            var level = MeasurementDefinition(name: "level", unit: "m", validMin: 0, validMax: 10)
            level.aggregateWindowMs = width
            $0.measurements = [level]
        }
    }

    @Test("level aggregates in 10 s windows on aggregates/<id>/level/10s; temperature's stay 60 s")
    func ownWidth() throws {
        var h = Self.harness(width: 10_000)
        for seq in 0..<25 {
            h.raw("sensors/t-1/level", MeasurementTests.body(seq, "level", 5), at: Self.ts + Int64(seq) * 1000)
            h.send("t-1", seq: seq, at: Self.ts + Int64(seq) * 1000)
        }
        for _ in 0..<5 { h.advance(1000) }
        let level = h.log.of(.aggregate).filter { $0.topic.contains("/level/") }
        #expect(!level.isEmpty && level.allSatisfy { $0.topic == "aggregates/t-1/level/10s" })
        #expect(Set(level.compactMap { ($0.json["window_start"] as? NSNumber)?.int64Value }).count >= 2)
        #expect(h.log.of(.aggregate).filter { $0.topic.contains("/temperature/") }.allSatisfy { $0.topic == "aggregates/t-1/temperature/60s" })
    }

    @Test("a restart that widens the level window publishes its open windows, then level aggregates go to .../level/30s; temperature's windows are untouched")
    func restartChangesWidth() {
        var h = Self.harness(width: 10_000)
        for seq in 0..<5 {
            h.raw("sensors/t-1/level", MeasurementTests.body(seq, "level", 5), at: Self.ts + Int64(seq) * 1000)
            h.send("t-1", seq: seq, at: Self.ts + Int64(seq) * 1000)
        }
        h.advance(3000)
        var wider = h.engine.configuration
        wider.measurements?[0].aggregateWindowMs = 30_000
        var out: [Publication] = []
        h.engine.reconfigure(wider, at: h.now, into: &out)
        #expect(out.filter { $0.kind == .aggregate }.map(\.topic) == ["aggregates/t-1/level/10s"], "the open level window, closed early")
        h.log = []
        for seq in 5..<70 {
            h.raw("sensors/t-1/level", MeasurementTests.body(seq, "level", 5), at: Self.ts + Int64(seq) * 1000)
            h.send("t-1", seq: seq, at: Self.ts + Int64(seq) * 1000)
        }
        for _ in 0..<5 { h.advance(1000) }
        #expect(Set(h.log.of(.aggregate).map(\.topic)) == ["aggregates/t-1/level/30s", "aggregates/t-1/temperature/60s"])
    }
}

/// Values at the ends of what a Double holds (found black-box: fills between readings of 1e306
/// came out as the range's edge, and a window's mean as `null`).
@Suite("Estimates and means of very large values")
struct LargeValueTests {
    @Test("an estimate too large to round to 0.001 is kept as it is, then clamped into the range")
    func estimate() {
        var c = EngineConfiguration()
        (c.validMin, c.validMax) = (-1e308, 1e308)
        let e = Estimator(configuration: c)
        #expect(e.clampAndRound(1e306) == 1e306)
        #expect(e.clampAndRound(-1e306) == -1e306)
        #expect(e.clampAndRound(5e307) == 5e307)
        #expect(e.clampAndRound(52.12345) == 52.123)
    }

    @Test("a gap between readings of 1e15 (the largest bound a range takes) is filled with 1e15, and its window's mean is a number")
    func fillAtTheBound() {
        var h = Harness {
            ($0.validMin, $0.validMax) = (-1e15, 1e15)
            $0.aggregateWindowMs = 10_000
        }
        for seq in [0, 2] { h.send("big", seq: seq, temp: 1e15) }
        for _ in 0..<8 { h.advance(1000) }
        for seq in 10..<25 { h.send("big", seq: seq, temp: 1e15) }
        for _ in 0..<5 { h.advance(1000) }
        let filled = h.log.cleaned.first { $0.seq == 1 }
        #expect(filled?.quality == "synthetic" && filled?.temperature == 1e15)
        let means = h.log.of(.aggregate).map { $0.json["mean"] as? NSNumber }
        #expect(!means.isEmpty && means.allSatisfy { $0?.doubleValue == 1e15 })
    }
}
