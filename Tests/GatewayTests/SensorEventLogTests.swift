import Logging
import Recovery
import Synchronization
import Testing
@testable import Gateway

/// Sensors' lifecycle lines in the log, and their rate limit.
@Suite("Sensor lifecycle in the log")
struct SensorEventLogTests {
    /// Collects log lines (level, message, metadata) in memory.
    final class Lines: Sendable {
        let all = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
        var messages: [String] { all.withLock { $0.map(\.1) } }
    }

    struct Capture: LogHandler {
        let lines: Lines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.all.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    static func state(_ sensor: String, _ state: String) -> Publication {
        Publication(
            kind: .sensorState, topic: "gateway/gw/sensors/\(sensor)", payload: Array("{\"state\":\"\(state)\",\"last_seq\":4,\"last_seen\":1}".utf8),
            retain: true)
    }

    @Test("stale, live again, forgotten and admitted sensors are logged at notice, naming the sensor")
    func lifecycle() {
        let lines = Lines()
        var log = SensorEventLog(logger: Logger(label: "t") { _ in Capture(lines: lines) })
        log.admitted(3, tracked: 3, now: 0)
        log.note([Self.state("a", "stale"), Publication(kind: .cleaned, topic: "cleaned/a/temperature", payload: [], retain: false)][...], now: 1)
        log.note([Self.state("a", "live"), Self.state("b", "expired")][...], now: 2)
        let all = lines.all.withLock { $0 }
        #expect(
            all.map(\.1) == [
                "sensors admitted", "sensor stale: silent longer than its usual rhythm", "sensor live again",
                "sensor forgotten (silent for sensor-retention-s, or evicted at max-sensors)",
            ])
        #expect(all.allSatisfy { $0.0 == .notice })
        #expect(all.map { $0.2["sensor"].map { "\($0)" } ?? "" } == ["", "a", "a", "b"])
    }

    @Test("a flood of events logs at most 30 lines a minute, and then how many were left out")
    func rateLimited() {
        let lines = Lines()
        var log = SensorEventLog(logger: Logger(label: "t") { _ in Capture(lines: lines) })
        log.note((0..<1000).map { Self.state("flood-\($0)", "expired") }[...], now: 0)
        #expect(lines.messages.count == 30)
        log.note([Self.state("x", "stale")][...], now: 60_001)
        let all = lines.all.withLock { $0 }
        #expect(all.count == 32)
        #expect(all[30].1.hasPrefix("sensor events not logged") && all[30].2["count"].map { "\($0)" } == "970")
        #expect(all[31].2["sensor"].map { "\($0)" } == "x")
    }
}
