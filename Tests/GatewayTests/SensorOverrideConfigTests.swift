import Foundation
import Logging
import Wire
import Recovery
import TestSupport
import Testing
@testable import Gateway

/// `sensor.<pattern>.<setting>` lines: read and checked as the gateway-wide settings are, with
/// errors that name the file, the line and the key, shown by `config show` and applied on a reload.
@Suite("Per-sensor settings in the config file")
struct SensorOverrideConfigTests {
    @Test("overrides in the line form: patterns keep their case, settings take the same spellings and units as the gateway-wide ones")
    func lineForm() throws {
        let c = try ConfigFileTests.load(
            """
            valid-min: 50
            sensor.Oven_*.valid_max: 400
            sensor.Oven_*.valid-min: 0
            sensor.Oven_*.fill: locf
            SENSOR.bearing-7.max-fill: 60
            """)
        let overrides = try #require(c.engine.sensorOverrides)
        #expect(overrides.map(\.pattern.text) == ["Oven_*", "bearing-7"])
        #expect(overrides[0] == SensorOverride(pattern: SensorIDPattern("Oven_*")!, validMin: 0, validMax: 400, fill: .locf))
        #expect(overrides[1] == SensorOverride(pattern: SensorIDPattern("bearing-7")!, maxFill: 60))
        let shown = c.effectiveSettings.filter { $0.name.hasPrefix("sensor.") }.map { "\($0.name): \($0.value)" }
        #expect(shown == ["sensor.Oven_*.valid-min: 0.0", "sensor.Oven_*.valid-max: 400.0", "sensor.Oven_*.fill: locf", "sensor.bearing-7.max-fill: 60"])
        #expect(c.summary.contains("sensor.Oven_*.valid-max=400.0"))
    }

    @Test("the JSON form takes the same keys")
    func jsonForm() throws {
        let c = try ConfigFileTests.load(#"{"valid-max": 56, "sensor.oven-*.valid-max": 400, "sensor.oven-*.fill": "distribution"}"#)
        #expect(c.engine.sensorOverrides == [SensorOverride(pattern: SensorIDPattern("oven-*")!, validMax: 400, fill: .distribution)])
        #expect(c.engine.validMax == 56)
    }

    @Test(
        "a bad per-sensor line names the file, the line and the key, and exits 78",
        arguments: [
            ("sensor.oven-*.colour: red", 1, "sensor.oven-*.colour", "cannot be set per sensor (these can: valid-min, valid-max, fill, max-fill)"),
            ("sensor.oven+1.valid-max: 400", 1, "sensor.oven+1.valid-max", "is not a sensor id or pattern"),
            (
                "sensor.oven-1/humidity.valid-max: 80", 1, "sensor.oven-1/humidity.valid-max",
                "`humidity` is not a declared measurement (these are: temperature)"
            ),
            ("sensor.oven-1/.valid-max: 80", 1, "sensor.oven-1/.valid-max", "`` is not a declared measurement"),
            ("sensor.oven-*.valid-max: hot", 1, "sensor.oven-*.valid-max", "not a number"),
            ("sensor.oven-*.valid-max: 40", 1, "sensor.oven-*.valid-max", "the sensors' valid-min (50.0) must be below their valid-max (40.0)"),
            ("sensor.oven-*.valid-max: 400\nsensor.*-1.valid-max: 300", 2, "sensor.*-1.valid-max", "names some of the same sensors as `oven-*`"),
            ("sensor.oven-*.fill: cubic", 1, "sensor.oven-*.fill", "expected"),
            ("sensor.oven-*.valid-max: 400\nsensor.oven-*.valid_max: 300", 2, "sensor.oven-*.valid-max", "set twice, on line 1"),
            ("sensor.oven-*.valid-max: 70\nsensor.oven-*/temperature.valid-max: 400", 2, "sensor.oven-*.valid-max", "set twice, on line 1"),
        ])
    func errors(text: String, line: Int, key: String, problem: String) throws {
        try ConfigFileTests.expectRefused(text, line: line, key: key, problem: problem)
    }

    @Test(
        "an override for another measurement: sensor.<pattern>/<measurement>; its unset bound is the measurement's, and patterns may overlap across measurements"
    )
    func measurementOverride() throws {
        let humidity = "measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\n"
        let c = try ConfigFileTests.load(
            humidity + "sensor.hum-*/humidity.valid-max: 80\nsensor.hum-*.valid-max: 60\nsensor.kiln-9/temperature.fill: locf\n")
        #expect(
            c.engine.sensorOverrides == [
                SensorOverride(pattern: SensorIDPattern("hum-*")!, measurement: "humidity", validMax: 80),
                SensorOverride(pattern: SensorIDPattern("hum-*")!, validMax: 60),
                SensorOverride(pattern: SensorIDPattern("kiln-9")!, fill: .locf),
            ])
        let shown = c.effectiveSettings.filter { $0.name.hasPrefix("sensor.") }.map { "\($0.name): \($0.value)" }
        #expect(shown == ["sensor.hum-*/humidity.valid-max: 80.0", "sensor.hum-*.valid-max: 60.0", "sensor.kiln-9.fill: locf"])
        // 20 is below temperature's 50, but within humidity's 0-100: accepted for humidity only.
        _ = try ConfigFileTests.load(humidity + "sensor.hum-*/humidity.valid-max: 20\n")
        try ConfigFileTests.expectRefused(
            humidity + "sensor.hum-*/humidity.valid-min: 150\n", line: 4, key: "sensor.hum-*/humidity.valid-min",
            problem: "the sensors' valid-min (150.0) must be below their valid-max (100.0)")
        try ConfigFileTests.expectRefused(
            humidity + "sensor.hum-*/humidity.valid-max: 80\nsensor.hum-1/humidity.fill: locf\n", line: 5, key: "sensor.hum-1/humidity.fill",
            problem: "names some of the same sensors as `hum-*`")
    }

    @Test("a reload that adds, changes or drops an override applies it and logs each change")
    func reload() throws {
        let running = try ConfigFileTests.load("sensor.oven-*.valid-max: 400\nsensor.oven-*.fill: locf")
        let reloaded = try ConfigFileTests.load("sensor.oven-*.valid-max: 450\nsensor.kiln-?.valid-max: 900")
        let live = LiveSettings(running)
        let log = CapturedLog()
        let outcome = SettingsReload.apply(reloaded, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(
            outcome.applied.sorted() == ["sensor.kiln-?.valid-max", "sensor.oven-*.fill", "sensor.oven-*.valid-max"],
            "\(outcome.applied)")
        #expect(!outcome.needsRestart)
        #expect(live.current.engine.sensorOverrides == reloaded.engine.sensorOverrides)
        let applied = try #require(log.lines.first { $0.message == "SIGHUP: settings applied" })
        #expect(applied.metadata["sensor.oven-*.valid-max"] == "400.0 -> 450.0", "\(applied.metadata)")
        #expect(applied.metadata["sensor.oven-*.fill"] == "locf -> (unset)")
        #expect(applied.metadata["sensor.kiln-?.valid-max"] == "(unset) -> 900.0")
    }
}

/// The status page draws each sensor against its own valid range.
@Suite("Per-sensor ranges on the status page")
struct SensorOverrideStatusPageTests {
    @Test("the oven probe's plot shades 0-400, the bearing probe's 50-55")
    func ownRange() {
        var configuration = EngineConfiguration()
        let oven = SensorOverride(pattern: SensorIDPattern("oven-*")!, validMin: 0, validMax: 400)
        configuration.sensorOverrides = [oven]
        var engine = RecoveryEngine(configuration: configuration)
        var out: [Publication] = []
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<5 {
            for (sensor, value) in [("oven-1", 300 + Double(seq)), ("bearing-1", 52.0)] {
                let body = "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"temperature\":\(value),\"status\":\"normal\"}"
                engine.ingest(topic: "sensors/\(sensor)/temperature", payload: Array(body.utf8), receivedAt: base + Int64(seq) * 1000, into: &out)
            }
        }
        engine.tick(now: base + 10_000, into: &out)
        var status = GatewayStatusSnapshot()
        status.sensors = engine.summaries
        let page = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: base + 10_000, overrides: [oven])
        // The premise: the oven probe's plot differs by range (else the check below proves nothing).
        let ovenPoints = engine.summaries.first { $0.sensorID == "oven-1" }!.recent
        #expect(StatusPlot.svg(ovenPoints, valid: 0...400, unit: Measured.unit) != StatusPlot.svg(ovenPoints, valid: 50...55, unit: Measured.unit))
        for summary in engine.summaries {
            let valid: ClosedRange<Double> = summary.sensorID == "oven-1" ? 0...400 : 50...55
            #expect(page.contains(StatusPlot.svg(summary.recent, valid: valid, unit: Measured.unit)), "\(summary.sensorID)")
            #expect(summary.recent.count == 5)
        }
        #expect(page.contains("(the sensors of a per-sensor range: their own)"))
    }
}

/// MeasurementDefinition streams in the engine snapshot: restored, they carry on identically.
@Suite("MeasurementDefinition streams in snapshots")
struct MeasurementSnapshotTests {
    @Test("a humidity stream with a gap open is saved and restored: the restored engine asks, fills and publishes exactly as the original")
    func roundTrip() throws {
        var configuration = EngineConfiguration()
        configuration.measurements = [MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100, fill: .locf)]
        var engine = RecoveryEngine(configuration: configuration)
        var out: [Publication] = []
        let base: Int64 = 1_795_660_000_000
        func feed(_ e: inout RecoveryEngine, _ topic: String, _ seq: Int, _ field: String, _ value: Double, into o: inout [Publication]) {
            let body = "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"\(field)\":\(value),\"status\":\"normal\"}"
            e.ingest(topic: topic, payload: Array(body.utf8), receivedAt: base + Int64(seq) * 1000, into: &o)
        }
        for seq in [0, 1, 2, 4] {
            feed(&engine, "sensors/h-1/humidity", seq, "humidity", 40 + Double(seq), into: &out)
            feed(&engine, "sensors/h-1/temperature", seq, "temperature", 52, into: &out)
        }
        let bytes = try EngineSnapshot(inputFrom: 7, publicationsThrough: 5, engine: engine, pending: []).encode()
        var copy = try EngineSnapshot.decode(bytes).engine
        // The recent points (the status page's plot) are not in snapshots; the rest is. The
        // readings before the gap went out before the snapshot (their first-sight hold ended
        // at seq 4's receipt), so the original has points the copy has not.
        func counts(_ e: RecoveryEngine) -> [String] {
            e.summaries.map { "\($0.sensorID) \($0.measurement ?? "-") \(String(describing: $0.lastSeq)) \($0.output) \(String(describing: $0.missing))" }
        }
        #expect(counts(copy) == counts(engine))
        #expect(engine.summaries.allSatisfy { $0.recent.count == 3 } && copy.summaries.allSatisfy(\.recent.isEmpty))
        var outA: [Publication] = [], outB: [Publication] = []
        for step in 0..<30 {
            engine.tick(now: base + 5000 + Int64(step) * 1000, into: &outA)
            copy.tick(now: base + 5000 + Int64(step) * 1000, into: &outB)
        }
        feed(&engine, "sensors/h-1/humidity", 5, "value", 45, into: &outA)
        feed(&copy, "sensors/h-1/humidity", 5, "value", 45, into: &outB)
        #expect(outA == outB)
        let filled = outB.filter { $0.topic == "cleaned/h-1/humidity" }.map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(filled.contains { $0.contains("\"seq\":3,") && $0.contains("\"quality\":\"synthetic\"") && $0.contains("\"method\":\"locf\"") }, "\(filled)")
        #expect(outB.contains { $0.topic == "sensors/h-1/resend" && String(decoding: $0.payload, as: UTF8.self).contains("\"measurement\":\"humidity\"") })
    }
}
