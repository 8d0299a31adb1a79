import Foundation
import Logging
import MQTT
import Testing
import TestSupport

@testable import Gateway

/// The start-up read of the broker's retained `latest/` values beside another gateway that is
/// publishing on `latest/` (a box being replaced, still running).
@Suite("The start-up read of retained latest/ values")
struct BrokerLatestReadTests {
    @Test(
        "live latest/ messages from another gateway neither count nor keep the read going: it ends once the retained ones stop (found black-box: 15 s each start)",
        .timeLimit(.minutes(3)))
    func liveMessagesIgnored() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let other = try await Subscriber.connect(broker, id: "latest-other-gateway", filters: [])
        defer { Task { await other.close() } }
        let kept = #"{"sensor_id":"lr-1","seq":30,"ts":1795660030000,"temperature":52.3,"status":"normal","quality":"ok","boot":1}"#
        _ = try other.client.publish(topic: "latest/lr-1/temperature", payload: Array(kept.utf8), qos: .atLeastOnce, retain: true)
        // Stored before the read starts: a new subscriber is handed it. Without this wait, on busy
        // cores the read could subscribe first and see it live, not retained (a CI-load flake).
        let check = try await Subscriber.connect(broker, id: "latest-check", filters: ["latest/lr-1/temperature"])
        try await check.recorder.wait(for: "the retained value stored", timeout: .seconds(60)) { !$0.messages.isEmpty }
        await check.close()
        // The other gateway goes on publishing its sensors' last values, retained, for as long
        // as the read lasts.
        let publishing = Task {
            var seq = 0
            while !Task.isCancelled {
                seq += 1
                let live =
                    #"{"sensor_id":"lr-2","seq":\#(seq),"ts":\#(1_795_660_000_000 + seq * 100),"temperature":52.3,"status":"normal","quality":"ok","boot":1}"#
                _ = try? other.client.publish(topic: "latest/lr-2/temperature", payload: Array(live.utf8), qos: .atLeastOnce, retain: true)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { publishing.cancel() }
        var configuration = GatewayConfiguration(gatewayID: "latest-read")
        configuration.brokerPort = broker.port
        // Without the fix the read lasts its whole limit: ten minutes, past the test's time limit.
        let values = BrokerLatest.read(configuration, logger: Logger(label: "latest-read"), limitMs: 600_000).values
        publishing.cancel()
        #expect(values["latest/lr-1/temperature"]?.seq == 30, "\(values)")
    }

    @Test(
        "the gateway's own marker, published behind the retained values, ends the read with every one of them, without a quiet wait",
        .timeLimit(.minutes(3)))
    func markerEndsTheRead() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let publisher = try await Subscriber.connect(broker, id: "latest-publisher", filters: [])
        let sensors = 2_000
        for i in 0..<sensors {
            let value = #"{"sensor_id":"m-\#(i)","seq":\#(i),"ts":1795660030000,"temperature":52.3,"status":"normal","quality":"ok","boot":1}"#
            _ = try publisher.client.publish(topic: "latest/m-\(i)/temperature", payload: Array(value.utf8), qos: .atLeastOnce, retain: true)
        }
        // All stored before the read starts (the last one is handed to a new subscriber).
        let check = try await Subscriber.connect(broker, id: "latest-check", filters: ["latest/m-\(sensors - 1)/temperature"])
        try await check.recorder.wait(for: "the last retained value stored", timeout: .seconds(120)) { !$0.messages.isEmpty }
        await check.close()
        await publisher.close()
        var configuration = GatewayConfiguration(gatewayID: "marker-read")
        configuration.brokerPort = broker.port
        // Without the marker the read would wait out a quiet ten minutes, past the time limit.
        let values = BrokerLatest.read(configuration, logger: Logger(label: "marker-read"), quietMs: 600_000, limitMs: 600_000).values
        #expect(values.count == sensors)
        #expect(values["latest/m-1999/temperature"]?.seq == 1999)
    }
}
