import Foundation
import MQTT
import Recovery
import Testing
import TestSupport
import Wire

@testable import Gateway

/// Two gateways with different `gateway-id`s reading the same sensors (a replaced box started
/// before the old one was retired, overlapping `topic-filter`s) both publish `cleaned/` for
/// them; neither could tell (an open point of review).
@Suite("Another gateway reading the same sensors")
struct OverlappingGatewayTests {
    @Test("filters overlap when some topic matches both: wildcards on either side, `#` also matching its parent")
    func filterOverlap() {
        let overlapping = [
            ("sensors/+/temperature", "sensors/+/temperature"), ("sensors/+/temperature", "sensors/press-01/temperature"),
            ("sensors/#", "sensors/a/humidity"), ("#", "spBv1.0/plant/DDATA/n/d"), ("sensors/+/+", "+/x/temperature"),
            ("sensors/#", "sensors"), ("a/b", "a/b"),
        ]
        for (a, b) in overlapping {
            #expect(Topics.filtersOverlap(a, b), "\(a) / \(b)")
            #expect(Topics.filtersOverlap(b, a), "\(b) / \(a)")
        }
        let disjoint = [
            ("sensors/+/temperature", "sensors/+/humidity"), ("sensors/+/temperature", "plant2/+/temperature"),
            ("sensors/+/temperature", "sensors/+"), ("sensors/+", "sensors/+/temperature/x"), ("a/+/#", "a"), ("a/b", "a/c"),
        ]
        for (a, b) in disjoint {
            #expect(!Topics.filtersOverlap(a, b), "\(a) / \(b)")
            #expect(!Topics.filtersOverlap(b, a), "\(b) / \(a)")
        }
    }

    static func status(of gateway: String, _ state: GatewayStatusNotice.State, filters: [String]?) -> MQTTMessage {
        MQTTMessage(
            topic: Topics.gatewayStatus(gateway), payload: GatewayStatusNotice(state: state, version: "0.2.0", startedAt: 5, topicFilters: filters).json,
            qos: .atLeastOnce, retain: true)
    }

    @Test(
        "another gateway's online status with overlapping filters is one; offline, cleared, disjoint or its own status ends or is none; without filters it tells nothing"
    )
    func watchRules() {
        let watch = OverlappingGatewayWatch(gatewayID: "edge-1", filters: ["sensors/+/temperature", "sensors/+/humidity"])
        #expect(
            watch.change(in: Self.status(of: "edge-2", .online, filters: ["sensors/+/temperature", "plant/+/flow"]))
                == .overlapping(gatewayID: "edge-2", filters: ["sensors/+/temperature"]))
        #expect(watch.change(in: Self.status(of: "edge-2", .online, filters: ["plant/+/flow"])) == .gone(gatewayID: "edge-2"))
        #expect(watch.change(in: Self.status(of: "edge-2", .offline, filters: nil)) == .gone(gatewayID: "edge-2"))
        #expect(watch.change(in: MQTTMessage(topic: "gateway/edge-2/status", payload: [], qos: .atLeastOnce, retain: true)) == .gone(gatewayID: "edge-2"))
        #expect(watch.change(in: Self.status(of: "edge-2", .online, filters: nil)) == nil)
        #expect(watch.change(in: Self.status(of: "edge-1", .online, filters: ["sensors/+/temperature"])) == nil)
        #expect(watch.change(in: MQTTMessage(topic: "gateway/edge-2/status", payload: Array("{".utf8), qos: .atLeastOnce, retain: false)) == nil)
        #expect(watch.change(in: MQTTMessage(topic: "gateway/edge-2/replay", payload: [], qos: .atLeastOnce, retain: false)) == nil)
    }

    @Test(
        "two gateways with their own ids on one broker and one filter each see the other (an error in the log, a gauge, /healthz degraded); a third on a disjoint filter is not counted; once the second stops, the first is ok again"
    )
    func twoGatewaysOneFleet() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let folders = [try TemporaryDirectory(), try TemporaryDirectory(), try TemporaryDirectory()]
        defer { folders.forEach { $0.remove() } }
        let log = CapturedLog()
        let first = try await InProcessGateway.start(broker, in: folders[0], id: "old-box", logger: log.logger())
        let disjoint = try await InProcessGateway.start(broker, in: folders[1], id: "other-line") {
            $0.engine.topicPattern = TopicPattern("line2/+/temperature")!
        }
        let second = try await InProcessGateway.start(broker, in: folders[2], id: "new-box")
        let health = GatewayHTTP.handler(status: first.status, configuration: first.configuration)
        try await waitUntil("the first to see the second", timeout: .seconds(120)) { first.status.snapshot.runtime.overlappingGateways["new-box"] != nil }
        try await waitUntil("the second to see the first (retained)", timeout: .seconds(120)) {
            second.status.snapshot.runtime.overlappingGateways["old-box"] != nil
        }
        #expect(first.status.snapshot.runtime.overlappingGateways == ["new-box": [Topics.readingsFilter]])
        #expect(disjoint.status.snapshot.runtime.overlappingGateways.isEmpty)
        let line = try #require(log.lines.first { $0.message.hasPrefix("another gateway reads some of this gateway's sensors") }, "\(log.messages)")
        #expect(line.level == .error)
        let degraded = health("/healthz").body
        #expect(
            degraded.contains("\"degraded\"") && degraded.contains("gateway new-box is online on the broker and reads some of the same sensors"), "\(degraded)")
        #expect(health("/metrics").body.contains("\nsensor_gateway_overlapping_gateways 1.0\n"))

        try await second.stop()
        try await waitUntil("the first to see the second gone", timeout: .seconds(120)) { first.status.snapshot.runtime.overlappingGateways.isEmpty }
        #expect(health("/metrics").body.contains("\nsensor_gateway_overlapping_gateways 0.0\n"))
        #expect(!health("/healthz").body.contains("reads some of the same sensors"))
        #expect(log.messages.contains { $0.hasPrefix("the other gateway reading some of this gateway's sensors is gone") })
        try await disjoint.stop()
        try await first.stop()
    }
}
