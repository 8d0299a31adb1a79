import Foundation
import Recovery
import TestSupport
import Testing
@testable import Gateway

/// `measurement.<name>.<setting>` lines: a measurement needs its unit and range, takes the
/// gateway-wide fill unless given its own, and its topics are derived from `topic-filter`.
@Suite("Measurements in the config file")
struct MeasurementConfigTests {
    @Test("measurements in the file's order, with their topics derived from topic-filter; config show lists them")
    func declared() throws {
        let c = try ConfigFileTests.load(
            """
            measurement.humidity.unit: %RH
            measurement.humidity.valid-min: 0
            measurement.humidity.valid-max: 100
            measurement.air_quality.unit: "µg/m³"
            measurement.air_quality.valid-min: 0
            measurement.air_quality.valid-max: 500
            measurement.air_quality.fill: locf
            measurement.air_quality.max-fill: 30
            """)
        #expect(
            c.engine.measurements == [
                MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100),
                MeasurementDefinition(name: "air_quality", unit: "µg/m³", validMin: 0, validMax: 500, fill: .locf, maxFill: 30),
            ])
        #expect(c.engine.readingFilters == ["sensors/+/temperature", "sensors/+/humidity", "sensors/+/air_quality"])
        let shown = c.effectiveSettings.filter { $0.name.hasPrefix("measurement.") }.map { "\($0.name): \($0.value)" }
        #expect(shown.prefix(3) == ["measurement.humidity.unit: %RH", "measurement.humidity.valid-min: 0.0", "measurement.humidity.valid-max: 100.0"])
        #expect(shown.count == 8)
    }

    @Test("a measurement's own windows, with units; config show lists them; a reload applies them")
    func windows() throws {
        let text =
            "measurement.level.unit: m\nmeasurement.level.valid-min: 0\nmeasurement.level.valid-max: 10\nmeasurement.level.reorder-window-ms: 30s\nmeasurement.level.late-horizon-s: 2h\n"
        let c = try ConfigFileTests.load(text)
        let level = try #require(c.engine.measurements?.first)
        #expect(level.reorderWindowMs == 30_000 && level.lateHorizonMs == 7_200_000)
        let shown = c.effectiveSettings.filter { $0.name.hasPrefix("measurement.") }.map { "\($0.name): \($0.value)" }
        #expect(shown.suffix(2) == ["measurement.level.reorder-window-ms: 30000", "measurement.level.late-horizon-s: 7200"])
        let reloaded = try ConfigFileTests.load(text.replacingOccurrences(of: "30s", with: "5s"))
        let live = LiveSettings(c)
        let outcome = SettingsReload.apply(reloaded, live: live, logLevel: LiveLogLevel(.info), logger: CapturedLog().logger())
        #expect(outcome.applied == ["measurement.level.reorder-window-ms"])
        #expect(live.current.engine.measurements?.first?.reorderWindowMs == 5000)
        // The aggregate window is a topic level: it follows at the restart.
        let wider = try ConfigFileTests.load(text + "measurement.level.aggregate-window-s: 5m\n")
        #expect(wider.engine.measurements?.first?.aggregateWindowMs == 300_000)
        let later = SettingsReload.apply(wider, live: live, logLevel: LiveLogLevel(.info), logger: CapturedLog().logger())
        #expect(later.restartOnly == ["measurement.level.aggregate-window-s"])
        #expect(live.current.engine.measurements?.first?.aggregateWindowMs == nil)
    }

    @Test("INTERFACE.md's mixed line, in full, is a configuration the gateway takes as it says")
    func documentedMixedLine() throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/INTERFACE.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        let start = try #require(text.range(of: "# /etc/sensor-gateway/gateway.conf\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let c = try ConfigFileTests.load(String(text[start.lowerBound..<end.lowerBound]))
        #expect(c.engine.measurements?.map(\.name) == ["humidity", "pressure", "level"])
        #expect(c.engine.measurements?.last?.jsonFields?.description == "value=lvl,seq=sn,ts=time")
        #expect(c.engine.measurements?.last?.aggregateWindowMs == 900_000)
        #expect(c.engine.sensorOverrides?.map { SensorOverrideSettings.name($0) } == ["oven-*", "dry-*/humidity"])
    }

    @Test("a custom topic-filter: the measurement's topics take its last level's place")
    func customFilter() throws {
        let c = try ConfigFileTests.load(
            "topic-filter: plant/hall-2/+/temperature\nmeasurement.flow.unit: l/min\nmeasurement.flow.valid-min: 0\nmeasurement.flow.valid-max: 80\n")
        #expect(c.engine.readingFilters == ["plant/hall-2/+/temperature", "plant/hall-2/+/flow"])
    }

    @Test(
        "a bad measurement line names the file, the line and the key, and exits 78",
        arguments: [
            ("measurement.Humidity.unit: %", 1, "measurement.Humidity.unit", "cannot name a measurement"),
            ("measurement.resend.unit: x", 1, "measurement.resend.unit", "cannot name a measurement"),
            ("measurement.temperature.unit: K", 1, "measurement.temperature.unit", "temperature is set by the gateway-wide settings"),
            (
                "measurement.humidity.colour: red", 1, "measurement.humidity.colour",
                "is not a measurement setting (these are: unit, valid-min, valid-max, fill, max-fill, json-fields, reorder-window-ms, late-horizon-s, aggregate-window-s)"
            ),
            ("measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0", 1, "measurement.humidity.unit", "needs measurement.humidity.valid-max"),
            (
                "measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 100\nmeasurement.humidity.valid-max: 0", 3, "measurement.humidity.valid-max",
                "valid-min (100.0) must be below valid-max (0.0)"
            ),
            ("measurement.humidity.valid-min: wet", 1, "measurement.humidity.valid-min", "not a number"),
            ("measurement.humidity.valid-max: 1e300", 1, "measurement.humidity.valid-max", "at most 1e15 either way"),
            ("valid-min: -2e15", 1, "valid-min", "at most 1e15 either way"),
            ("sensor.oven-*.valid-max: 1e16", 1, "sensor.oven-*.valid-max", "at most 1e15 either way"),
            ("measurement.ts.unit: x", 1, "measurement.ts.unit", "not a member or topic level of the gateway's own messages"),
            ("measurement.unit.unit: x", 1, "measurement.unit.unit", "cannot name a measurement"),
            ("measurement.quality.unit: x", 1, "measurement.quality.unit", "cannot name a measurement"),
            ("measurement.sparkplug.unit: x", 1, "measurement.sparkplug.unit", "cannot name a measurement"),
            ("measurement.flow_gap.unit: x", 1, "measurement.flow_gap.unit", "not ending in _gap"),
            ("topic-filter: t3/+/temp\nmeasurement.temp.unit: x", 2, "measurement.temp.unit", "is the last level of topic-filter (t3/+/temp)"),
            ("measurement.humidity.json-fields: value=humidity", 1, "measurement.humidity.json-fields", "`humidity` already names a field"),
            ("measurement.humidity.json-fields: colour=c", 1, "measurement.humidity.json-fields", "`colour` is not a field that can be renamed"),
            ("measurement.humidity.reorder-window-ms: 2h", 1, "measurement.humidity.reorder-window-ms", "between"),
            (
                "sensor-retention-s: 3600\nmeasurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\nmeasurement.humidity.late-horizon-s: 2h",
                1, "sensor-retention-s", "must be 0 (never) or at least measurement.humidity.late-horizon-s (7200)"
            ),
            (
                "topic-filter: plant/temperature/+\nmeasurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100", 2,
                "measurement.humidity.unit", "ends with the sensor id"
            ),
        ])
    func errors(text: String, line: Int, key: String, problem: String) throws {
        try ConfigFileTests.expectRefused(text, line: line, key: key, problem: problem)
    }

    @Test("the settings a start found changed are named in the log, measurements and per-sensor lines too (found black-box: changed= was empty)")
    func startDiff() throws {
        let before = try ConfigFileTests.load("sensor.oven-*.valid-max: 400\n")
        let after = try ConfigFileTests.load(
            "valid-max: 56\nmeasurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\n")
        #expect(
            EngineSettingsDiff.names(from: before.engine, to: after.engine) == [
                "valid-max", "measurement.humidity.unit", "measurement.humidity.valid-max", "measurement.humidity.valid-min",
                "sensor.oven-*.valid-max",
            ])
        #expect(EngineSettingsDiff.names(from: after.engine, to: after.engine).isEmpty)
    }

    @Test("a reload applies a declared measurement's changed range, unit and field names at once, and logs each change")
    func reload() throws {
        let text = "measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\n"
        let running = try ConfigFileTests.load(text)
        let reloaded = try ConfigFileTests.load(
            text.replacingOccurrences(of: "100", with: "90").replacingOccurrences(of: "%RH", with: "pct") + "measurement.humidity.json-fields: value=rh\n")
        let live = LiveSettings(running)
        let log = CapturedLog()
        let outcome = SettingsReload.apply(reloaded, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(outcome.applied.sorted() == ["measurement.humidity.json-fields", "measurement.humidity.unit", "measurement.humidity.valid-max"])
        #expect(!outcome.needsRestart)
        #expect(live.current.engine.measurements == reloaded.engine.measurements)
        #expect(live.takeEngineChange()?.measurements == reloaded.engine.measurements)
        let applied = try #require(log.lines.first { $0.message == "SIGHUP: settings applied" })
        #expect(applied.metadata["measurement.humidity.valid-max"] == "100.0 -> 90.0", "\(applied.metadata)")
    }

    @Test("a reload that declares or drops a measurement names it as taking a restart, and keeps the running set")
    func reloadAddsMeasurement() throws {
        let text = "measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\n"
        let running = try ConfigFileTests.load(text)
        let reloaded = try ConfigFileTests.load(
            text.replacingOccurrences(of: "humidity", with: "flow").replacingOccurrences(of: "%RH", with: "l/min"))
        let live = LiveSettings(running)
        let outcome = SettingsReload.apply(reloaded, live: live, logLevel: LiveLogLevel(.info), logger: CapturedLog().logger())
        #expect(
            outcome.restartOnly.sorted() == [
                "measurement.flow.unit", "measurement.flow.valid-max", "measurement.flow.valid-min", "measurement.humidity.unit",
                "measurement.humidity.valid-max", "measurement.humidity.valid-min",
            ])
        #expect(outcome.applied.isEmpty)
        #expect(live.current.engine.measurements == running.engine.measurements)
    }

    @Test(
        "a reload that renames a measurement keeps the old one's per-sensor lines until the restart, as the measurement itself (found black-box: its override was dropped at once while it still ran)"
    )
    func reloadRenameKeepsOverrides() throws {
        let text =
            "measurement.humidity.unit: %RH\nmeasurement.humidity.valid-min: 0\nmeasurement.humidity.valid-max: 100\nsensor.dry-*/humidity.valid-max: 60\n"
        let running = try ConfigFileTests.load(text)
        let reloaded = try ConfigFileTests.load(text.replacingOccurrences(of: "humidity", with: "hum"))
        let live = LiveSettings(running)
        let log = CapturedLog()
        let outcome = SettingsReload.apply(reloaded, live: live, logLevel: LiveLogLevel(.info), logger: log.logger())
        #expect(outcome.applied.isEmpty, "\(outcome.applied)")
        #expect(outcome.restartOnly.contains("sensor.dry-*/humidity.valid-max") && outcome.restartOnly.contains("sensor.dry-*/hum.valid-max"))
        #expect(live.current.engine.measurements == running.engine.measurements)
        #expect(live.current.engine.sensorOverrides?.contains { $0.measurement == "humidity" && $0.validMax == 60 } == true)
    }
}

/// The status page shows another measurement's stream with its name, unit and range.
@Suite("Measurements on the status page")
struct MeasurementStatusPageTests {
    static let humidity = MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100)

    /// An engine with humidity declared beside temperature.
    static func engine() -> RecoveryEngine {
        var configuration = EngineConfiguration()
        configuration.measurements = [humidity]
        return RecoveryEngine(configuration: configuration)
    }

    @Test("a sensor's measurements are rows side by side, under its most urgent one: a's humidity waits, so a's fine temperature comes before 0's and b's")
    func grouped() throws {
        let humidity = Self.humidity
        var engine = Self.engine()
        var out: [Publication] = []
        let base: Int64 = 1_795_660_000_000
        func send(_ topic: String, _ seq: Int, _ field: String, _ value: Double, at time: Int64) {
            let body = "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"\(field)\":\(value),\"status\":\"normal\"}"
            engine.ingest(topic: topic, payload: Array(body.utf8), receivedAt: time, into: &out)
        }
        for id in ["0", "a", "b"] { send("sensors/\(id)/temperature", 0, "temperature", 52, at: base) }
        send("sensors/a/humidity", 0, "humidity", 40, at: base)
        engine.tick(now: base + 3000, into: &out)
        send("sensors/a/humidity", 2, "humidity", 42, at: base + 3000)  // seq 1 missing: a's humidity waits
        var status = GatewayStatusSnapshot()
        status.sensors = engine.summaries
        #expect(status.sensors.first { $0.measurement == "humidity" }?.missing == 1...1)
        let page = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: base + 3000, measurements: [humidity])
        let rows = ["\"><td>a</td>", "\"><td>a <small>humidity</small></td>", "\"><td>0</td>", "\"><td>b</td>"]
        let places = try rows.map { row in try #require(page.range(of: row), "\(row)").lowerBound }
        #expect(places == places.sorted(), "rows in the order \(rows)")
    }

    @Test("a humidity stream's row names the measurement and draws its plot in %RH against 0-100")
    func row() {
        let humidity = Self.humidity
        var engine = Self.engine()
        var out: [Publication] = []
        let base: Int64 = 1_795_660_000_000
        for seq in 0..<5 {
            let body = "{\"seq\":\(seq),\"ts\":\(base + Int64(seq) * 1000),\"value\":\(40 + seq),\"status\":\"normal\"}"
            engine.ingest(topic: "sensors/h-1/humidity", payload: Array(body.utf8), receivedAt: base + Int64(seq) * 1000, into: &out)
        }
        engine.tick(now: base + 10_000, into: &out)
        var status = GatewayStatusSnapshot()
        status.sensors = engine.summaries
        let page = StatusPage.render(status, gatewayID: "gw", validRange: 50...55, now: base + 10_000, measurements: [humidity])
        let summary = engine.summaries[0]
        #expect(page.contains("<td>h-1 <small>humidity</small></td>"))
        #expect(page.contains("44 %RH"))
        #expect(page.contains(StatusPlot.svg(summary.recent, valid: 0...100, unit: "%RH")))
        #expect(!page.contains(StatusPlot.svg(summary.recent, valid: 50...55, unit: "%RH")))
    }
}
