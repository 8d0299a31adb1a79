import Foundation
import TestSupport
import Testing
import Wire

/// Per-sensor ranges and fills through the real executable, a config file and a real broker:
/// a 0-400 °C oven probe beside a 50-55 °C bearing probe, then a SIGHUP that drops the override.
@Suite(.timeLimit(.minutes(5)))
struct SensorOverrideEndToEndTests {
    @Test(
        "an oven probe under its own range and fill: 300 °C is ok, its gap is held at the last value; the bearing probe beside it is corrected; after a reload without the override the oven probe is corrected too"
    )
    func ovenBesideBearing() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let config = dir.file("gateway.conf")
        func write(_ text: String) throws { try text.write(toFile: config, atomically: true, encoding: .utf8) }
        try write("sensor.oven-*.valid-min: 0\nsensor.oven-*.valid-max: 400\nsensor.oven-*.fill: locf\n")
        let watcher = try await Subscriber.connect(broker, id: "override-watcher", filters: ["cleaned/#", "dlq/#"])
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: dir.file("data"), extra: ["--config", config])
        try await gateway.waitUntilConnected()
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let base: Int64 = 1_795_660_000_000
        for (seq, value) in [(0, 300.0), (1, 305), (3, 320)] {
            try fleet.measure("oven-1", seq: UInt64(seq), ts: base + Int64(seq) * 1000, temperature: value)
        }
        for (seq, value) in [(0, 51.0), (1, 300), (2, 53)] {
            try fleet.measure("bearing-1", seq: UInt64(seq), ts: base + Int64(seq) * 1000, temperature: value)
        }
        func cleaned(_ sensor: String) async -> [CleanedReading] { await watcher.cleaned().filter { $0.sensorID == sensor } }
        try await watcher.recorder.wait(for: "both sensors' last readings", timeout: .seconds(120)) { events in
            let out = events.compactMap { if case .message(let m) = $0 { CleanedReading(m) } else { nil } }
            return out.contains { $0.sensorID == "oven-1" && $0.seq == 3 } && out.contains { $0.sensorID == "bearing-1" && $0.seq == 2 }
        }
        let oven = await cleaned("oven-1")
        #expect(oven.map { "\($0.seq) \($0.quality) \($0.temperature ?? -1)" } == ["0 ok 300.0", "1 ok 305.0", "2 synthetic 305.0", "3 ok 320.0"])
        #expect(oven.first { $0.seq == 2 }?.method == "locf")
        let bearing = await cleaned("bearing-1")
        #expect(bearing.map { "\($0.seq) \($0.quality)" } == ["0 ok", "1 corrected", "2 ok"])
        #expect(await watcher.messages(on: "dlq/").map(\.topic) == ["dlq/bearing-1/temperature"])

        try write("# the override is gone\n")
        gateway.child.signal(SIGHUP)
        try await waitUntil("the reload journaled") { gateway.child.output.contains("new engine settings journaled") }
        #expect(gateway.child.output.contains("sensor.oven-*.valid-max=400.0 -> (unset)"), "\(gateway.child.output.suffix(1500))")
        try fleet.measure("oven-1", seq: 4, ts: base + 4000, temperature: 330)
        try await watcher.recorder.wait(for: "the oven probe's seq 4", timeout: .seconds(60)) { events in
            events.contains { if case .message(let m) = $0, let r = CleanedReading(m) { r.sensorID == "oven-1" && r.seq == 4 } else { false } }
        }
        #expect(await cleaned("oven-1").last.map { "\($0.seq) \($0.quality)" } == "4 corrected")
        #expect(await watcher.messages(on: "dlq/").map(\.topic) == ["dlq/bearing-1/temperature", "dlq/oven-1/temperature"])
        _ = try await gateway.terminate()
        await fleet.close()
        await watcher.close()
    }
}
