import MQTT
import Testing
import TestSupport
@testable import Gateway

/// The queueing settings of the shipped deploy/mosquitto.conf against mosquitto as Debian 12 ships
/// it (2.0.11). Found black-box: with `queue_qos0_messages true`, one QoS 0 message queued for the
/// gateway's session while it was stopped left every QoS 1 reading queued behind it, and all live
/// input after the restart, undelivered for good, while `/healthz` said ok.
@Suite("The shipped broker settings across a gateway restart")
struct ShippedBrokerQueueTests {
    @Test("QoS 0 and QoS 1 readings sent while the gateway is stopped: every QoS 1 one comes out after its restart")
    func queuedAcrossRestart() async throws {
        let shipped = try DeployedACLTests.shippedBrokerSettings(ownedByTest: [
            "listener", "allow_anonymous", "password_file", "acl_file", "persistence", "autosave_interval",
        ])
        let broker = try await TestBroker.start(extraConfig: shipped)
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["cleaned/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        try await InProcessGateway.start(broker, in: dir, id: "q0").stop()  // its persistent session stays
        let ts0: Int64 = 1_795_660_000_000
        func reading(_ seq: Int) -> [UInt8] {
            Array(#"{"seq":\#(seq),"ts":\#(ts0 + Int64(seq) * 1000),"temperature":52.5,"status":"normal"}"#.utf8)
        }
        // Old firmware (or a Sparkplug node) at QoS 0, then a sensor at QoS 1, both while it is down.
        for seq in 0..<20 { _ = try fleet.client.publish(topic: "sensors/old-fw/temperature", payload: reading(seq), qos: .atMostOnce) }
        for seq in 0..<300 { _ = try fleet.client.publish(topic: "sensors/qos1/temperature", payload: reading(seq), qos: .atLeastOnce) }
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "q0")
        try await watcher.recorder.wait(for: "every QoS 1 reading queued during the stop", timeout: .seconds(120)) { events in
            events.messages.contains { $0.topic == "cleaned/qos1/temperature" && String(decoding: $0.payload, as: UTF8.self).contains(#""seq":299,"#) }
        }
        let qos1 = await watcher.messages(on: "cleaned/qos1/temperature")
        #expect(Set(qos1.map { String(decoding: $0.payload, as: UTF8.self) }.filter { $0.contains(#""quality":"ok""#) }).count == 300)
        try await gateway.stop()
    }
}
