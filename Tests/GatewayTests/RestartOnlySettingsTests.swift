import Foundation
import Journal
import MQTT
import Recovery
import Sparkplug
import TestSupport
import Testing
import Wire
@testable import Gateway

/// Settings only a restart changes (`aggregate-window-s`, `max-payload-bytes`, `topic-filter`,
/// `gateway-id`), changed between two runs over a journal whose ring has already reclaimed a
/// sensor's history: the engine continues from its snapshot, so nothing its sensors published is
/// forgotten or published again.
@Suite(.timeLimit(.minutes(10)))
struct RestartOnlySettingsTests {
    @Test(
        "a changed aggregate window and payload limit over a wrapped ring: a sensor silent for the whole ring is still known, so the seqs it missed are filled, none is published again, and the windows open at the restart are published as they stood"
    )
    func changedOverWrappedRing() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "restart-only-watcher", filters: ["cleaned/#", "aggregates/#"])
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let base: Int64 = 1_795_660_000_000
        func quiet(_ seq: UInt64) throws { try fleet.measure("quiet", seq: seq, ts: base + Int64(seq) * 1000, temperature: 52) }

        let first = try await InProcessGateway.start(broker, in: dir, id: "restart-only") {
            $0.journalMaxBytes = 1 << 20
            $0.snapshotIntervalMs = 200
        }
        for seq in 0..<10 { try quiet(UInt64(seq)) }
        // Then enough from others to wrap the 1 MiB ring many times over the quiet sensor's records.
        let loud = 8
        let perSensor = 1_000
        for seq in 0..<perSensor {
            for sensor in 0..<loud {
                try fleet.measure("loud\(sensor)", seq: UInt64(seq), ts: base + Int64(seq) * 1000, temperature: 51 + Double(seq % 30) / 10)
            }
        }
        try await watcher.recorder.wait(for: "every reading cleaned", timeout: .seconds(180)) {
            $0.messages.compactMap(CleanedReading.init).count >= 10 + loud * perSensor
        }
        try await first.stop()
        // The premise: the ring has reclaimed the quiet sensor's readings (so a restart cannot
        // learn of it by replaying them).
        var quietReadings = 0
        _ = try JournalReader(directory: first.configuration.journalDirectory).read { record in
            if let (topic, _) = JournalRecords.decodeMessage(record.payload[...]), record.type == RecordType.message.rawValue, topic.contains("/quiet/") {
                quietReadings += 1
            }
            return true
        }
        #expect(quietReadings == 0, "the ring has not reclaimed the quiet sensor's records: the test's premise does not hold")
        let before = await watcher.recorder.messages.count

        let log = CapturedLog()
        let second = try await InProcessGateway.start(broker, in: dir, id: "restart-only", logger: log.logger()) {
            $0.journalMaxBytes = 1 << 20
            $0.engine.aggregateWindowMs = 30_000
            $0.engine.maxPayloadBytes = 2048
            $0.engine.maxFill = 7  // a setting a reload applies too
        }
        // The start names the restart-only changes alone (found black-box, 85th review: the
        // line listed settings a reload had applied, too).
        let notice = try #require(log.lines.first { $0.message.hasPrefix("settings that shape topics or stored state changed") })
        let changed = Set("\(notice.metadata["changed"] ?? "")".split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        #expect(changed == ["aggregate-window-s", "max-payload-bytes"], "\(changed)")
        try quiet(15)  // seqs 10-14 were lost on the way
        try await watcher.recorder.wait(for: "the quiet sensor's seq 15", timeout: .seconds(120)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.sensorID == "quiet" && $0.seq == 15 }
        }
        try await second.stop()
        await fleet.close()
        await watcher.close()

        let after = await watcher.recorder.messages[before...]
        let cleaned = after.compactMap(CleanedReading.init)
        #expect(cleaned.filter { $0.sensorID != "quiet" }.isEmpty, "published again: \(cleaned.filter { $0.sensorID != "quiet" }.prefix(3))")
        let quietSeqs = cleaned.filter { $0.sensorID == "quiet" }
        #expect(quietSeqs.map(\.seq) == Array(10...15), "the quiet sensor after the restart: \(quietSeqs.map { "\($0.seq) \($0.quality)" })")
        #expect(quietSeqs.dropLast().allSatisfy { $0.quality == .synthetic }, "\(quietSeqs.map(\.quality))")
        // Each loud sensor's last window was open at the restart: published once, on the old
        // window's topic, and nothing more of theirs after it.
        let aggregates = after.filter { $0.topic.hasPrefix("aggregates/loud") }
        #expect(aggregates.count == loud && aggregates.allSatisfy { $0.topic.hasSuffix("/60s") }, "\(aggregates.map(\.topic))")
    }

    @Test(
        "a changed topic-filter: the previous filter is unsubscribed from the persistent session, so a reading on its topics is neither taken nor dead-lettered"
    )
    func changedTopicFilter() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "filter-watcher", filters: ["cleaned/#", "dlq/#"])
        let sender = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "filter-sender"))
        try await sender.connect()
        func send(_ topic: String, _ seq: Int) throws {
            let body = TestSensorFleet.payload(seq: UInt64(seq), ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52)
            try sender.publish(topic: topic, payload: Array(body.utf8), qos: .atLeastOnce)
        }

        let first = try await InProcessGateway.start(broker, in: dir, id: "filter-change")
        try send("sensors/old/temperature", 0)
        try await watcher.recorder.wait(for: "the first run's reading", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).count == 1
        }
        try await first.stop()

        let second = try await InProcessGateway.start(broker, in: dir, id: "filter-change") {
            $0.engine.topicPattern = TopicPattern("plant/+/temperature")!
        }
        // Once the new run has unsubscribed the old filter, a reading on it reaches no one: sent
        // before one on the new filter (same sender, same order at the broker), it would
        // otherwise come first.
        try await waitUntil("the old filter to be unsubscribed") { second.status.snapshot.subscribed }
        try send("sensors/old/temperature", 1)
        try send("plant/new/temperature", 0)
        try await watcher.recorder.wait(for: "the reading on the new filter", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.sensorID == "new" }
        }
        try await second.stop()
        await sender.disconnect()
        await watcher.close()
        let messages = await watcher.recorder.messages
        #expect(messages.filter { $0.topic.hasPrefix("dlq/") }.isEmpty, "\(messages.filter { $0.topic.hasPrefix("dlq/") }.map(\.topic))")
        #expect(messages.compactMap(CleanedReading.init).map { "\($0.sensorID) \($0.seq)" } == ["old 0", "new 0"])
    }

    @Test(
        "a narrowed sparkplug-topic-filter: what the broker queued for the old one while the gateway was stopped is read under the new one (dead-lettered), not as edge nodes"
    )
    func narrowedSparkplugFilter() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "spb-filter-watcher", filters: ["cleaned/#", "dlq/#"])
        let sender = try MQTTClient(MQTTConfiguration(host: "127.0.0.1", port: broker.port, clientID: "spb-filter-sender"))
        try await sender.connect()
        let first = try await InProcessGateway.start(broker, in: dir, id: "spb-narrow") { $0.engine.sparkplugFilter = "spBv1.0/#" }
        try await waitUntil("the first run subscribed") { first.status.snapshot.subscribed }
        try await first.stop()
        // While it is stopped: a node of a group the next run's filter leaves out (QoS 1, so
        // the persistent session keeps it for the gateway).
        let t = UInt64(1_795_660_000_000)
        let birth = SparkplugPayload(
            timestamp: t, seq: 0,
            metrics: [
                SparkplugMetric(name: "bdSeq", timestamp: t, datatype: .uint64, value: .long(0)),
                SparkplugMetric(name: "temperature", alias: 1, timestamp: t, datatype: .double, value: .double(52)),
            ])
        let data = SparkplugPayload(timestamp: t + 1000, seq: 1, metrics: [SparkplugMetric(alias: 1, timestamp: t + 1000, value: .double(53))])
        _ = try sender.publish(topic: "spBv1.0/Other/NBIRTH/N1", payload: birth.serialized(), qos: .atLeastOnce)
        _ = try sender.publish(topic: "spBv1.0/Other/NDATA/N1", payload: data.serialized(), qos: .atLeastOnce)
        let second = try await InProcessGateway.start(broker, in: dir, id: "spb-narrow") { $0.engine.sparkplugFilter = "spBv1.0/Plant1/#" }
        try await watcher.recorder.wait(for: "both queued messages dead-lettered", timeout: .seconds(60)) {
            $0.messages.filter { $0.topic == "dlq/_invalid/temperature" }.count == 2
        }
        try await second.stop()
        await sender.disconnect()
        await watcher.close()
        let messages = await watcher.recorder.messages
        let reasons = try messages.filter { $0.topic.hasPrefix("dlq/") }.map { try WireJSON.decode(DeadLetter.self, from: $0.payload).reason }
        #expect(reasons == ["invalid_sensor_id", "invalid_sensor_id"])
        #expect(messages.filter { $0.topic.hasPrefix("cleaned/") }.isEmpty, "\(messages.map(\.topic))")
    }
}
