import Foundation
import Logging
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
        // Counted with every other dead letter (found black-box, 58th review: the counters did
        // not move for it).
        try await waitUntil("the dead letter counted") { gateway.status.snapshot.counters.deadLetters == 1 }
        #expect(gateway.status.snapshot.counters.deadLettersByReason == ["bad_value:request_id": 1])
        // Each refusal counted by reason, beside the requests' count (84th review).
        #expect(gateway.status.snapshot.runtime.replays == 2)
        #expect(gateway.status.snapshot.runtime.replaysRefused == ["invalid": 1, "dead_lettered": 1])
        let metrics = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)("/metrics").body
        for (reason, n) in [("busy", 0), ("off", 0), ("invalid", 1), ("dead_lettered", 1)] {
            #expect(metrics.contains("\nsensor_gateway_replay_requests_refused_total{reason=\"\(reason)\"} \(n)\n"), "\(reason)")
        }
        try await gateway.stop()
        await requester.disconnect()
        await watcher.close()
    }

    @Test("a flood of bad requests is dead-lettered and counted in full, and logged at most 30 lines a minute (found black-box: a line each)")
    func floodLoggedWithinBudget() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let captured = CapturedLog()
        let watcher = try await Subscriber.connect(broker, id: "flood-watcher", filters: ["dlq/#"])
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "rf", logger: captured.logger())
        try await waitUntil("the output connection") { gateway.status.snapshot.connected }
        let requester = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "flooder"))
        try await requester.connect()
        for i in 0..<45 { _ = try requester.publish(topic: "gateway/rf/replay", payload: Array("junk \(i)".utf8), qos: .atLeastOnce) }
        try await watcher.recorder.wait(for: "45 dead letters", timeout: .seconds(120)) { $0.messages.count == 45 }
        try await waitUntil("45 dead letters counted") { gateway.status.snapshot.counters.deadLettersByReason["malformed_json"] == 45 }
        let lines = captured.lines.filter { "\($0.message)".hasPrefix("replay request refused") }
        #expect(lines.count == 30, "\(lines.count) refusal lines")
        try await gateway.stop()
        await requester.disconnect()
        await watcher.close()
    }

    @Test("a request while every slot is taken is refused as busy, with its reason for the counter, and takes no slot")
    func busyRefusal() {
        let slots = ReplaySlots()
        var limits = ReplayLimits()
        limits.maxConcurrent = 1
        #expect(slots.take(limit: 1))
        // Never connected: the error reply goes nowhere, as to a broker that is down.
        let client = try? MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "unconnected"))
        let request = Array(#"{"request_id":"r","sensor_id":"*","from":0,"to":1000}"#.utf8)
        let refusal = client.flatMap {
            ReplayResponder.start(
                request, journalDirectory: "/nonexistent", client: $0, limits: limits, slots: slots,
                deadLetters: .init(gatewayID: "g", maxPayloadBytes: 4096), logger: Logger(label: "test"))
        }
        #expect(refusal?.reason == .busy)
        slots.release()
        #expect(slots.take(limit: 1), "the refused request took no slot")
    }
}
