import Foundation
import Testing
import TestSupport

/// deploy/mosquitto-bridge.conf carries the cleaned stream to a central broker and replay
/// requests back, as docs/OPERATIONS.md says.
@Suite("The shipped mosquitto bridge")
struct BridgeTests {
    static let bridgeFile = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/mosquitto-bridge.conf").path

    @Test("cleaned readings reach the central broker, and a replay asked for there is answered there")
    func bridged() async throws {
        let central = try await TestBroker.start()
        defer { central.shutdown() }
        // The shipped file with its one placeholder set as OPERATIONS.md says (sed
        // 's/@GATEWAY_ID@/<id>/g'), and its example address pointed at the test's central broker.
        let gatewayID = "line-7"
        let shipped = try String(contentsOfFile: Self.bridgeFile, encoding: .utf8)
        #expect(shipped.contains("@GATEWAY_ID@"))
        let lines = shipped.replacingOccurrences(of: "@GATEWAY_ID@", with: gatewayID).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("#") && !$0.isEmpty }
            .map { $0.hasPrefix("address ") ? "address 127.0.0.1:\(central.port)" : $0 }
        #expect(lines.contains("topic cleaned/# out 1"))
        #expect(lines.contains("topic gateway/\(gatewayID)/replay in 1"))
        let edge = try await TestBroker.start(extraConfig: lines)
        defer { edge.shutdown() }
        let consumer = try await Subscriber.connect(central, id: "central-consumer", filters: ["cleaned/#", "replay/#", "gateway/\(gatewayID)/status"])
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let gateway = try GatewayProcess.start(broker: edge, dataDirectory: dir.file("data"), gatewayID: gatewayID)
        defer { gateway.child.signal(SIGKILL) }
        try await gateway.waitUntilConnected()
        let fleet = try await TestSensorFleet.connect(edge, answersResends: false)
        for seq in UInt64(0)..<3 {
            try fleet.measure("far", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
        }
        try await consumer.recorder.wait(for: "cleaned readings on the central broker") { events in
            events.messages.filter { $0.topic == "cleaned/far/temperature" }.count == 3
        }
        // Asked on the central broker, answered there. The bridge subscribed to the request topic
        // on connecting, before it forwarded the readings just seen, so the request is carried in.
        let request = "{\"request_id\":\"c1\",\"sensor_id\":\"far\",\"from\":1795660000000,\"to\":1795660600000}"
        _ = try consumer.client.publish(topic: "gateway/\(gatewayID)/replay", payload: Array(request.utf8), qos: .atLeastOnce)
        try await consumer.recorder.wait(for: "the replay's answer on the central broker") { events in
            events.messages.contains { $0.topic == "replay/c1" && String(decoding: $0.payload, as: UTF8.self).contains("\"done\":true") }
        }
        let replayed = await consumer.messages(on: "replay/c1").filter { String(decoding: $0.payload, as: UTF8.self).contains("\"seq\"") }
        #expect(Set(replayed.map { String(decoding: $0.payload, as: UTF8.self) }).count == 3)
        #expect(try await gateway.terminate() == 0)
        await fleet.close()
        await consumer.close()
    }
}
