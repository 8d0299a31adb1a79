import Foundation
import MQTT
import Testing
import TestSupport
import Wire
@testable import Gateway

/// A replay request with an unusable `request_id` is never dropped in silence (issue 28, found
/// black-box): answered on its `reply_topic` when it gave a usable one, dead-lettered otherwise.
@Suite("Replay requests with a bad request_id")
struct ReplayRefusalTests {
    @Test("an invalid request_id gets an error on the reply_topic it gave; without one, a dead letter with the reason")
    func invalidRequestID() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["replay/#", "dlq/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "rq")
        try await waitUntil("the output connection") { gateway.status.snapshot.connected }
        let requester = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "requester"))
        try await requester.connect()
        let withReply = #"{"request_id":"a/b","sensor_id":"*","from":0,"to":1000,"reply_topic":"replay/mine"}"#
        let without = #"{"request_id":"","sensor_id":"*","from":0,"to":1000}"#
        _ = try requester.publish(topic: "gateway/rq/replay", payload: Array(withReply.utf8), qos: .atLeastOnce)
        _ = try requester.publish(topic: "gateway/rq/replay", payload: Array(without.utf8), qos: .atLeastOnce)
        try await watcher.recorder.wait(for: "the error reply and the dead letter") { events in
            events.messages.contains { $0.topic == "replay/mine" } && events.messages.contains { $0.topic.hasPrefix("dlq/") }
        }
        let reply = await watcher.messages(on: "replay/mine").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(reply == [#"{"request_id":"a/b","error":"request_id must be 1-128 bytes without / + # or control characters"}"#])
        let dead = await watcher.messages(on: "dlq/")
        #expect(dead.map(\.topic) == ["dlq/_invalid/temperature"])
        let letter = try #require(dead.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any] })
        #expect(letter["reason"] as? String == "bad_value:request_id")
        #expect(letter["topic"] as? String == "gateway/rq/replay")
        #expect(letter["payload"] as? String == without)
        try await gateway.stop()
        await requester.disconnect()
        await watcher.close()
    }
}
