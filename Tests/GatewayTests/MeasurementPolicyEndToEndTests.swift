import Foundation
import MQTT
import TestSupport
import Testing
import Wire

/// A line whose sensors differ within a measurement, through the real executable and a real
/// broker: old firmware with its own field names beside the contract's, a dry-room humidity probe
/// with its own range, and a SIGHUP that changes a declared measurement's range while it runs.
@Suite(.timeLimit(.minutes(5)))
struct MeasurementPolicyEndToEndTests {
    static let config = """
        json-fields: value=temp_c, seq=sn, ts=time
        measurement.humidity.unit: %RH
        measurement.humidity.valid-min: 0
        measurement.humidity.valid-max: 100
        measurement.humidity.json-fields: value=rh
        sensor.dry-*/humidity.valid-max: 30

        """

    @Test(
        "firmware names (temp_c, sn, time; rh) read beside the contract's; dry-1's humidity judged by its own 0-30; a SIGHUP narrows humidity to 0-60 for hum-1 at once, and widens dry-1's"
    )
    func line() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let config = dir.file("gateway.conf")
        try Self.config.write(toFile: config, atomically: true, encoding: .utf8)
        let watcher = try await Subscriber.connect(broker, id: "policy-watcher", filters: ["cleaned/#", "dlq/#"])
        let gateway = try GatewayProcess.start(broker: broker, dataDirectory: dir.file("data"), extra: ["--config", config])
        try await gateway.waitUntilConnected()
        let sender = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "policy-sender"))
        try await sender.connect()
        let base: Int64 = 1_795_660_000_000
        func send(_ topic: String, _ body: String) throws { try sender.publish(topic: topic, payload: Array(body.utf8), qos: .atLeastOnce) }
        func texts(_ topic: String) async -> [String] {
            await watcher.messages(on: topic).map { String(decoding: $0.payload, as: UTF8.self) }
        }
        func waitFor(_ count: Int, on topic: String) async throws {
            try await watcher.recorder.wait(for: "\(count) on \(topic)", timeout: .seconds(120)) { events in
                events.messages.filter { $0.topic == topic }.count >= count
            }
        }

        // Old temperature firmware and the contract's, on one measurement.
        try send("sensors/old-1/temperature", "{\"sn\":0,\"time\":\(base),\"temp_c\":52.5,\"status\":\"normal\"}")
        try send("sensors/new-1/temperature", "{\"seq\":0,\"ts\":\(base),\"temperature\":52.5,\"status\":\"normal\"}")
        try send("sensors/old-1/temperature", "{\"sn\":1,\"seq\":1,\"time\":\(base + 1000),\"temp_c\":52.5,\"status\":\"normal\"}")
        // Humidity: rh beside humidity; dry-1 judged by 0-30.
        try send("sensors/dry-1/humidity", "{\"seq\":0,\"ts\":\(base),\"rh\":25,\"status\":\"normal\"}")
        try send("sensors/dry-1/humidity", "{\"seq\":1,\"ts\":\(base + 1000),\"rh\":45,\"status\":\"normal\"}")
        try send("sensors/hum-1/humidity", "{\"seq\":0,\"ts\":\(base),\"humidity\":45,\"status\":\"normal\"}")
        try await waitFor(1, on: "cleaned/old-1/temperature")
        try await waitFor(1, on: "cleaned/new-1/temperature")
        try await waitFor(2, on: "cleaned/dry-1/humidity")
        try await waitFor(1, on: "cleaned/hum-1/humidity")
        #expect(
            await texts("cleaned/old-1/temperature")
                == ["{\"sensor_id\":\"old-1\",\"seq\":0,\"ts\":\(base),\"temperature\":52.5,\"status\":\"normal\",\"quality\":\"ok\"}"])
        #expect(await texts("cleaned/new-1/temperature").count == 1)
        let dry = await texts("cleaned/dry-1/humidity")
        #expect(dry.first == "{\"sensor_id\":\"dry-1\",\"seq\":0,\"ts\":\(base),\"humidity\":25.0,\"unit\":\"%RH\",\"status\":\"normal\",\"quality\":\"ok\"}")
        #expect(dry.last?.contains("\"quality\":\"corrected\"") == true && dry.last?.contains("\"raw\":45.0") == true, "\(dry)")
        #expect(await texts("cleaned/hum-1/humidity").first?.contains("\"humidity\":45.0,") == true)
        try await watcher.recorder.wait(for: "two dead letters", timeout: .seconds(60)) { $0.messages.filter { $0.topic.hasPrefix("dlq/") }.count >= 2 }
        let dead = await watcher.messages(on: "dlq/").map { "\($0.topic) \(String(decoding: $0.payload, as: UTF8.self))" }
        #expect(dead.contains { $0.hasPrefix("dlq/old-1/temperature ") && $0.contains("\"reason\":\"malformed_json\"") }, "\(dead)")
        #expect(dead.contains { $0.hasPrefix("dlq/dry-1/humidity ") && $0.contains("\"reason\":\"out_of_range\"") }, "\(dead)")

        // A reload: humidity 0-60 for every sensor, dry-1's own maximum 50.
        try Self.config.replacingOccurrences(of: "valid-max: 100", with: "valid-max: 60").replacingOccurrences(of: "valid-max: 30", with: "valid-max: 50")
            .write(toFile: config, atomically: true, encoding: .utf8)
        gateway.child.signal(SIGHUP)
        try await waitUntil("the reload journaled") { gateway.child.output.contains("new engine settings journaled") }
        #expect(!gateway.child.output.contains("(after a restart)"), "\(gateway.child.output.suffix(1500))")
        try send("sensors/dry-1/humidity", "{\"seq\":2,\"ts\":\(base + 2000),\"rh\":45,\"status\":\"normal\"}")
        try send("sensors/hum-1/humidity", "{\"seq\":1,\"ts\":\(base + 1000),\"humidity\":70,\"status\":\"normal\"}")
        try await waitFor(3, on: "cleaned/dry-1/humidity")
        try await waitFor(2, on: "cleaned/hum-1/humidity")
        #expect(await texts("cleaned/dry-1/humidity").last?.contains("\"humidity\":45.0,\"unit\":\"%RH\",\"status\":\"normal\",\"quality\":\"ok\"") == true)
        let hum = await texts("cleaned/hum-1/humidity")
        #expect(hum.last?.contains("\"quality\":\"corrected\"") == true && hum.last?.contains("\"raw\":70.0") == true, "\(hum)")
        _ = try await gateway.terminate()
        await sender.disconnect()
        await watcher.close()
    }
}
