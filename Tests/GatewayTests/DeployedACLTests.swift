import Foundation
import MQTT
import Testing
import TestSupport

/// The broker ACL shipped in deploy/ does what OPERATIONS.md says: the gateway works under it,
/// a sensor can only publish its own readings, and only the consumer user may ask for replays.
@Suite("The shipped mosquitto ACL")
struct DeployedACLTests {
    static let deployFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy").path

    @Test("under deploy/mosquitto.acl the gateway runs, a sensor cannot speak for another or ask for replays, the historian can")
    func shippedACL() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = dir.file("passwd")
        for (i, user) in ["sensor-gateway", "historian", "s1"].enumerated() {
            let tool = try ChildProcess(
                TestBroker.executable("mosquitto_passwd"), (i == 0 ? ["-c"] : []) + ["-b", passwords, user, "pw-\(user)"],
                logPath: dir.file("passwd-\(i).log"))
            try await tool.wait()
            #expect(tool.exitCode == 0, "\(tool.output)")
        }
        try "pw-sensor-gateway\n".write(toFile: dir.file("gateway-password"), atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(
            extraConfig: ["password_file \(passwords)", "acl_file \(Self.deployFolder)/mosquitto.acl"],
            anonymous: false)
        defer { broker.shutdown() }
        func login(_ user: String) -> (inout MQTTConfiguration) -> Void {
            {
                $0.username = user; $0.password = "pw-\(user)"
            }
        }
        let historian = try await Subscriber.connect(broker, id: "historian", filters: ["cleaned/#", "replay/#"], configure: login("historian"))
        let gateway = try GatewayProcess.start(
            broker: broker, dataDirectory: dir.file("data"), gatewayID: "edge-1",
            extra: ["--username", "sensor-gateway", "--password-file", dir.file("gateway-password")])
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let sensor = try await Subscriber.connect(broker, id: "s1", filters: ["sensors/s1/resend"], configure: login("s1"))

        func reading(_ seq: Int) -> [UInt8] {
            Array("{\"seq\":\(seq),\"ts\":\(1_795_660_000_000 + seq * 1000),\"temperature\":52,\"status\":\"normal\"}".utf8)
        }
        func publishAcknowledged(_ client: Subscriber, _ topic: String, _ payload: [UInt8]) async throws {
            let mid = try client.client.publish(topic: topic, payload: payload, qos: .atLeastOnce)
            try await client.recorder.wait(for: "PUBACK for \(topic)") { $0.contains(.published(messageID: mid)) }
        }
        // s1 speaking for s2, and asking for a replay: the broker acknowledges and drops both.
        try await publishAcknowledged(sensor, "sensors/s2/temperature", reading(0))
        let request = { (id: String) in
            Array("{\"request_id\":\"\(id)\",\"sensor_id\":\"*\",\"from\":1795660000000,\"to\":1795660600000}".utf8)
        }
        try await publishAcknowledged(sensor, "gateway/edge-1/replay", request("from-sensor"))
        // s1's own readings flow.
        for seq in 0..<3 { try await publishAcknowledged(sensor, "sensors/s1/temperature", reading(seq)) }
        try await historian.recorder.wait(for: "s1's readings cleaned") { events in
            events.messages.filter { $0.topic == "cleaned/s1/temperature" }.count >= 3
        }
        // The historian may ask for a replay; the sensor's request, sent earlier, never ran.
        try await publishAcknowledged(historian, "gateway/edge-1/replay", request("from-historian"))
        try await historian.recorder.wait(for: "the historian's replay") { events in
            events.messages.contains {
                $0.topic == "replay/from-historian" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true,\"count\":3")
            }
        }
        #expect(await historian.messages(on: "replay/from-sensor").isEmpty)
        #expect(await historian.messages(on: "cleaned/s2").isEmpty)
        #expect(try await gateway.terminate() == 0)
        await sensor.close()
        await historian.close()
    }
}
