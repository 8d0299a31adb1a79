import Foundation
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

    @Test("admissions at a fleet's start do not use up the minute's lines: a sensor going stale then is still named (87th review)")
    func admissionsHaveTheirOwnBudget() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        for turn in 0..<100 { log.admitted(30, tracked: 30 * (turn + 1), now: Int64(turn) * 200) }
        log.note([Self.state("solo-1", "stale")][...], now: 20_000)
        #expect(captured.lines.contains { $0.message == "sensor stale: silent longer than its usual rhythm" && "\($0.metadata["sensor"] ?? "")" == "solo-1" })
        #expect(captured.messages.filter { $0 == "sensors admitted" }.count == 30)
        log.endMinuteIfOver(now: 61_000)
        #expect(captured.lines.contains { $0.message.hasPrefix("sensor admissions not logged in the last minute") && "\($0.metadata["count"] ?? "")" == "70" })
    }

    @Test("another measurement's stream is logged with its sensor and its measurement (found black-box: it was logged as sensor=humidity)")
    func measurementStream() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.note([Self.state("h1/humidity", "stale"), Self.state("h1", "stale")][...], now: 1)
        #expect(captured.lines.map { "\($0.metadata["sensor"] ?? "-") \($0.metadata["measurement"] ?? "-")" } == ["h1 humidity", "h1 -"])
    }

    @Test("a stream of a measurement no longer declared is logged as closed for that reason, one still declared as forgotten")
    func removedMeasurement() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.note([Self.state("h1/humidity", "expired"), Self.state("h1/pressure", "expired"), Self.state("h1", "expired")][...], now: 1) {
            $0 == "pressure"
        }
        #expect(
            captured.messages == [
                "sensor stream closed: its measurement was removed from the configuration",
                "sensor forgotten (silent for sensor-retention-s, or evicted at max-sensors)",
                "sensor forgotten (silent for sensor-retention-s, or evicted at max-sensors)",
            ])
    }

    @Test("a restart without a measurement logs each of its streams as closed by the removal (found black-box: logged as forgotten for silence)")
    func restartWithoutMeasurement() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let humidity = MeasurementDefinition(name: "humidity", unit: "%RH", validMin: 0, validMax: 100)
        let first = try await InProcessGateway.start(broker, in: dir, id: "rm", configure: { $0.engine.measurements = [humidity] })
        let sender = try await Subscriber.connect(broker, id: "sender", filters: [])
        for seq in 0..<3 {
            let ts = 1_795_660_000_000 + seq * 1000
            _ = try sender.client.publish(topic: "sensors/h1/humidity", payload: Array("{\"seq\":\(seq),\"ts\":\(ts),\"value\":50,\"status\":\"normal\"}".utf8))
            _ = try sender.client.publish(
                topic: "sensors/h1/temperature", payload: Array("{\"seq\":\(seq),\"ts\":\(ts),\"temperature\":52,\"status\":\"normal\"}".utf8))
        }
        try await watcher.recorder.wait(for: "both streams cleaned", timeout: .seconds(60)) { events in
            Set(events.messages.map(\.topic)).isSuperset(of: ["cleaned/h1/humidity", "cleaned/h1/temperature"])
        }
        try await first.stop()
        let captured = CapturedLog()
        let second = try await InProcessGateway.start(broker, in: dir, id: "rm", logger: captured.logger())
        try await waitUntil("the humidity stream's closing logged", timeout: .seconds(60)) {
            captured.lines.contains { $0.message.hasPrefix("sensor stream closed") }
        }
        let closed = captured.lines.filter { $0.message.hasPrefix("sensor stream closed") || $0.message.hasPrefix("sensor forgotten") }
        #expect(closed.map(\.message) == ["sensor stream closed: its measurement was removed from the configuration"], "\(captured.messages)")
        #expect(closed.first.map { "\($0.metadata["sensor"] ?? "-") \($0.metadata["measurement"] ?? "-")" } == "h1 humidity")
        try await second.stop()
        await sender.close()
        await watcher.close()
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

    @Test("a burst followed by quiet is counted when its minute ends, not at the next event, which may never come (found black-box)")
    func countedWhenTheMinuteEnds() {
        let captured = CapturedLog()
        var log = SensorEventLog(logger: captured.logger())
        log.admitted(5, tracked: 5, now: 0)
        log.note((0..<100).map { Self.state("s-\($0)", "stale") }[...], now: 10)
        // The admission line, then 30 of the 100 stale ones (admissions have a budget of their own).
        #expect(captured.messages.count == 31)
        log.endMinuteIfOver(now: 59_999)
        #expect(captured.messages.count == 31, "the minute is not over")
        log.endMinuteIfOver(now: 60_000)
        #expect(captured.lines.count == 32)
        #expect(captured.lines.last?.metadata["count"].map { "\($0)" } == "70")
        log.endMinuteIfOver(now: 200_000)
        #expect(captured.lines.count == 32, "a quiet minute says nothing")
    }
}
