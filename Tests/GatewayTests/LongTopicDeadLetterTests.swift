import Foundation
import MQTT
import Testing
import TestSupport
import Wire
@testable import Gateway

/// A topic far past any valid sensor topic is cut before it is journaled; its dead letter says
/// so (found black-box, 66th review: a 60,000-byte topic came out as its first 4,096 bytes with
/// nothing saying it was cut, so two hostile topics sharing those bytes looked the same).
@Suite("Dead letters of very long topics")
struct LongTopicDeadLetterTests {
    @Test("a topic past 4,096 bytes is dead-lettered with its first 4,096 bytes and topic_truncated; a short invalid one is not flagged")
    func longTopicFlagged() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "long-watcher", filters: ["dlq/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "lt")
        let sender = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "long-sender"))
        try await sender.connect()
        let payload = Array(#"{"seq":1,"ts":1795660000000,"temperature":52.0,"status":"normal"}"#.utf8)
        let long = "sensors/" + String(repeating: "x", count: 20_000) + "/temperature"
        _ = try sender.publish(topic: long, payload: payload, qos: .atLeastOnce)
        _ = try sender.publish(topic: "sensors/a b/temperature", payload: payload, qos: .atLeastOnce)
        try await watcher.recorder.wait(for: "two dead letters") { $0.messages.count == 2 }
        let letters = try await watcher.messages(on: "dlq/").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any])
        }
        let cut = try #require(letters.first { ($0["topic"] as? String)?.hasPrefix("sensors/xxx") == true })
        #expect(cut["reason"] as? String == "invalid_sensor_id")
        #expect((cut["topic"] as? String)?.utf8.count == Topics.maxJournaledTopicBytes)
        #expect(cut["topic_truncated"] as? Bool == true)
        let short = try #require(letters.first { $0["topic"] as? String == "sensors/a b/temperature" })
        #expect(short["topic_truncated"] == nil)
        try await gateway.stop()
        await sender.disconnect()
        await watcher.close()
    }
}
