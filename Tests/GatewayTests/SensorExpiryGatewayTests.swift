import Foundation
import Testing
import TestSupport
@testable import Gateway

@Suite("Idle sensors expire in the running gateway")
struct SensorExpiryGatewayTests {
    @Test("silent sensors are announced expired on their retained state topic, counted, and make room under max-sensors again")
    func expiryMakesRoom() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["gateway/exp/sensors/#", "dlq/#", "cleaned/#"])
        let gateway = try await InProcessGateway.start(
            broker, in: dir, id: "exp",
            configure: {
                $0.engine.lateHorizonMs = 1000
                $0.engine.sensorRetentionMs = 1500
                $0.engine.maxSensors = 2
            })
        let http = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let ts: Int64 = 1_795_660_000_000
        try fleet.measure("a", seq: 0, ts: ts, temperature: 52)
        try fleet.measure("b", seq: 0, ts: ts, temperature: 52)
        try await watcher.recorder.wait(for: "a and b published") { events in
            Set(events.messages.filter { $0.topic.hasPrefix("cleaned/") }.map(\.topic)).count == 2
        }
        // (Refusal while full is the engine's test; here the clock is real, so a and b may already be gone.)
        try await watcher.recorder.wait(for: "a and b expired") { events in
            events.messages.filter { $0.topic.hasPrefix("gateway/exp/sensors/") && String(decoding: $0.payload, as: UTF8.self).contains("\"expired\"") }.count
                == 2
        }
        // The status board the metrics come from is refreshed on the loop's own schedule.
        try await waitUntil("the expiries counted") { http("/metrics").body.contains("sensor_gateway_sensors_expired_total 2") }

        // Room again under max-sensors 2: two new ids are both tracked and published.
        try fleet.measure("c", seq: 0, ts: ts, temperature: 52)
        try fleet.measure("d", seq: 0, ts: ts, temperature: 52)
        try await watcher.recorder.wait(for: "c and d published") { events in
            Set(events.messages.filter { $0.topic == "cleaned/c/temperature" || $0.topic == "cleaned/d/temperature" }.map(\.topic)).count == 2
        }
        #expect(await watcher.messages(on: "dlq/").isEmpty)
        // The notices are retained: a newcomer learns that a and b were forgotten.
        let late = try await Subscriber.connect(broker, id: "late", filters: ["gateway/exp/sensors/a", "gateway/exp/sensors/b"])
        try await late.recorder.wait(for: "retained expired notices") { events in
            events.messages.filter { $0.retain && String(decoding: $0.payload, as: UTF8.self).contains("\"expired\"") }.count == 2
        }
        await late.close()
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
