import Foundation
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A retained `latest/` value this gateway's journal never published (another gateway's, a box
/// replaced under a new `gateway-id`, a test publisher) past a new sensor's readings: the
/// gateway takes those seqs as published and drops the readings, covering them with one gap
/// flagged `journal_damaged`. Found black-box: nothing in the log, `/healthz` "ok", no metric.
@Suite("Someone else's retained latest/")
struct ForeignLatestTests {
    @Test("an empty data folder beside a retained latest/ at seq 30: the journal_damaged gap is logged as an error, counted, and /healthz says degraded")
    func reported() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ts0 = Clocks.epochMilliseconds() - 120_000
        let watcher = try await Subscriber.connect(broker, id: "foreign-watcher", filters: ["cleaned/#"])
        let left = "{\"sensor_id\":\"rp-1\",\"seq\":30,\"ts\":\(ts0 + 30_000),\"temperature\":52.3,\"status\":\"normal\",\"quality\":\"ok\",\"boot\":1}"
        _ = try watcher.client.publish(topic: "latest/rp-1/temperature", payload: Array(left.utf8), qos: .atLeastOnce, retain: true)
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "foreign", logger: log.logger())
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<40 {
            try fleet.publishRaw("rp-1", TestSensorFleet.payload(seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52, boot: 1))
        }
        try await watcher.recorder.wait(for: "seq 39 cleaned", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).contains { $0.seq == 39 }
        }
        let cleaned = await watcher.cleaned()
        let gap = try #require(cleaned.first { $0.quality == .gap })
        #expect(gap.reason == CleanedReading.journalDamaged && gap.toSeq == 30)
        try await waitUntil("the gap reported", timeout: .seconds(30)) { gateway.status.snapshot.runtime.lastDamagedGapAt != nil }
        let line = try #require(log.lines.first { $0.message.hasPrefix("published gaps flagged journal_damaged") }, "\(log.messages)")
        #expect(line.level == .error)
        let handler = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)
        let health = handler("/healthz").body
        #expect(health.contains("\"degraded\"") && health.contains("flagged journal_damaged"), "\(health)")
        #expect(handler("/metrics").body.contains("sensor_gateway_journal_damaged_gaps_total 1\n"))
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "a retained latest/ stamped far beyond any reading the gateway accepts is ignored at the start: latest/ follows the sensor's readings again, with no journal_damaged gap"
    )
    func farFutureIgnored() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let ts0 = Clocks.epochMilliseconds() - 60_000
        let watcher = try await Subscriber.connect(broker, id: "forged-watcher", filters: ["cleaned/#", "latest/#"])
        let forged = "{\"sensor_id\":\"ff-1\",\"seq\":99999,\"ts\":99999999999999,\"temperature\":52,\"status\":\"normal\",\"quality\":\"ok\"}"
        _ = try watcher.client.publish(topic: "latest/ff-1/temperature", payload: Array(forged.utf8), qos: .atLeastOnce, retain: true)
        try await watcher.recorder.wait(for: "the forged value retained", timeout: .seconds(60)) {
            $0.messages.contains { $0.topic == "latest/ff-1/temperature" }
        }
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "forged", logger: log.logger())
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<5 {
            try fleet.publishRaw("ff-1", TestSensorFleet.payload(seq: seq, ts: ts0 + Int64(seq) * 1000, temperature: 52))
        }
        // Both: the two topics' messages may reach the watcher in either order (CI saw latest/'s
        // seq 4 before cleaned/'s).
        try await watcher.recorder.wait(for: "latest/ and cleaned/ at seq 4", timeout: .seconds(60)) { state in
            state.messages.contains { $0.topic == "latest/ff-1/temperature" && (try? WireJSON.decode(CleanedReading.self, from: $0.payload))?.seq == 4 }
                && state.messages.contains { $0.topic.hasPrefix("cleaned/") && (try? WireJSON.decode(CleanedReading.self, from: $0.payload))?.seq == 4 }
        }
        let cleaned = await watcher.cleaned()
        #expect(cleaned.map(\.seq) == [0, 1, 2, 3, 4] && cleaned.allSatisfy { $0.quality == .ok }, "\(cleaned)")
        let line = try #require(log.lines.first { $0.message.contains("lie further ahead than any reading the gateway accepts") }, "\(log.messages)")
        #expect(line.level == .warning && line.message.contains("latest/ff-1/temperature"))
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }
}
