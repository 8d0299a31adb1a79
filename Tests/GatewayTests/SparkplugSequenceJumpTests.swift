import Foundation
import MQTT
import Sparkplug
import Testing
import TestSupport

@testable import Gateway

/// More than 128 messages of an edge node lost in a row: only the part under one round of 256
/// is filled, so whole rounds may be missing unseen. The jump was only a metric (found
/// black-box, 56th review: 345 messages lost across a broker restart came out as 89 fills).
@Suite("A Sparkplug edge node's sequence jump is reported")
struct SparkplugSequenceJumpTests {
    static let t0: UInt64 = 1_795_660_000_000

    static func birth() -> [UInt8] {
        SparkplugPayload(
            timestamp: t0, seq: 0,
            metrics: [
                SparkplugMetric(name: "bdSeq", timestamp: t0, datatype: .uint64, value: .long(0)),
                SparkplugMetric(name: "Temperature", alias: 1, timestamp: t0, datatype: .double, value: .double(52)),
            ]
        ).serialized()
    }

    static func data(_ k: UInt64) -> [UInt8] {
        let time = t0 + k * 1000
        return SparkplugPayload(timestamp: time, seq: k & 0xFF, metrics: [SparkplugMetric(alias: 1, timestamp: time, value: .double(52.5))]).serialized()
    }

    @Test("a steady node loses 345 messages in a row: the jump is logged naming the node, and /healthz is degraded saying whole rounds may be missing")
    func jumpReported() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "jump", logger: log.logger()) { c in
            c.engine.sparkplugFilter = "spBv1.0/#"
            c.engine.sparkplugMetrics = ["Temperature": "temperature"]
        }
        let status = gateway.status
        let node = try await TestSensorFleet.connect(broker, id: "edge-node", answersResends: false)
        try node.client.publish(topic: "spBv1.0/Plant1/NBIRTH/Line3", payload: Self.birth(), qos: .atLeastOnce)
        // A steady pace (one a second by their timestamps), then 240..584 lost.
        for k in UInt64(1)...UInt64(260) where k < 240 || k > 584 {
            try node.client.publish(topic: "spBv1.0/Plant1/NDATA/Line3", payload: Self.data(k), qos: .atLeastOnce)
        }
        for k in UInt64(585)...UInt64(600) {
            try node.client.publish(topic: "spBv1.0/Plant1/NDATA/Line3", payload: Self.data(k), qos: .atLeastOnce)
        }
        try await waitUntil("the jump counted", timeout: .seconds(120)) { status.snapshot.counters.sparkplug.sequenceJumps == 1 }
        try await waitUntil("the jump shown", timeout: .seconds(120)) { status.snapshot.runtime.lastSequenceJumpAt != nil }
        let health = GatewayHTTP.handler(status: status, configuration: gateway.configuration)("/healthz").body
        #expect(health.contains("\"degraded\"") && health.contains("Sparkplug sequence jump(s)") && health.contains("edge node Plant1.Line3"), "\(health)")
        let warning = log.lines.first { $0.level == .warning && $0.message.hasPrefix("a Sparkplug edge node's sequence jumped") }
        #expect(warning?.metadata["node"] == "Plant1.Line3", "\(log.messages)")
        await node.close()
        try await gateway.stop()
    }
}
