import Logging
import Recovery
import Testing
import TestSupport
@testable import Gateway

/// Sensors' lifecycle lines in the log, and their rate limit.
@Suite("Sensor lifecycle in the log")
struct SensorEventLogTests {
    static func state(_ sensor: String, _ state: String) -> Publication {
        Publication(
            kind: .sensorState, topic: "gateway/gw/sensors/\(sensor)", payload: Array("{\"state\":\"\(state)\",\"last_seq\":4,\"last_seen\":1}".utf8),
            retain: true)
    }

    @Test("stale, live again, forgotten and admitted sensors are logged at notice, naming the sensor")
    func lifecycle() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.admitted(3, tracked: 3, now: 0)
        log.note([Self.state("a", "stale"), Publication(kind: .cleaned, topic: "cleaned/a/temperature", payload: [], retain: false)][...], now: 1)
        log.note([Self.state("a", "live"), Self.state("b", "expired")][...], now: 2)
        let all = captured.lines
        #expect(
            all.map(\.message) == [
                "sensors admitted", "sensor stale: silent longer than its usual rhythm", "sensor live again",
                "sensor forgotten (silent for sensor-retention-s, or evicted at max-sensors)",
            ])
        #expect(all.allSatisfy { $0.level == .notice })
        #expect(all.map { $0.metadata["sensor"].map { "\($0)" } ?? "" } == ["", "a", "a", "b"])
    }

    @Test("another measurement's stream is logged with its sensor and its measurement (found black-box: it was logged as sensor=humidity)")
    func measurementStream() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.note([Self.state("h1/humidity", "stale"), Self.state("h1", "stale")][...], now: 1)
        #expect(captured.lines.map { "\($0.metadata["sensor"] ?? "-") \($0.metadata["measurement"] ?? "-")" } == ["h1 humidity", "h1 -"])
    }

    @Test("a flood of events logs at most 30 lines a minute, and then how many were left out")
    func rateLimited() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.note((0..<1000).map { Self.state("flood-\($0)", "expired") }[...], now: 0)
        #expect(captured.messages.count == 30)
        log.note([Self.state("x", "stale")][...], now: 60_001)
        let all = captured.lines
        #expect(all.count == 32)
        #expect(all[30].message.hasPrefix("sensor events not logged") && all[30].metadata["count"].map { "\($0)" } == "970")
        #expect(all[31].metadata["sensor"].map { "\($0)" } == "x")
    }
}
