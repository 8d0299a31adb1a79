import Foundation
import MQTT
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A publication the broker answers with an MQTT 5 refusal (its ACL, its `message_size_limit`)
/// did not reach its subscribers: found black-box, the gateway took the refusal for an
/// acknowledgement and said nothing (`/healthz` ok, no metric, no log line).
@Suite("Publications the broker refuses")
struct RefusedPublicationTests {
    @Test(
        "a dead letter larger than the broker's message_size_limit is refused: counted by kind and reason, logged, and /healthz degraded, while the rest flows")
    func deadLetterTooLarge() async throws {
        let broker = try await TestBroker.start(extraConfig: ["message_size_limit 2000"])
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "refused-watcher", filters: ["cleaned/#", "dlq/#"])
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "refused", logger: log.logger())
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        // 1,500 control characters: valid UTF-8, so the dead letter carries them as text, each
        // escaped in six bytes (about 9 KB): over the broker's 2,000.
        try fleet.publishRaw("hostile", String(repeating: "\u{01}", count: 1500))
        for seq in UInt64(0)..<3 { try fleet.measure("fine", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52) }
        try await watcher.recorder.wait(for: "the fine sensor's readings cleaned", timeout: .seconds(60)) {
            $0.messages.compactMap(CleanedReading.init).filter { $0.sensorID == "fine" }.count == 3
        }
        let status = gateway.status
        try await waitUntil("the refusal counted") { !status.snapshot.runtime.refusedPublications.isEmpty }

        let refused = status.snapshot.runtime.refusedPublications
        #expect(refused.count == 1, "\(refused)")
        let (what, count) = try #require(refused.first)
        #expect(what.kind == "deadLetter" && count == 1, "\(refused)")
        #expect(what.reason.contains("0x95"), "\(what.reason)")
        #expect(await watcher.messages(on: "dlq/").isEmpty, "the broker delivered what it refused?")
        let line = try #require(log.lines.first { $0.message.hasPrefix("the broker refused a publication") }, "\(log.messages)")
        #expect(line.level == .error && line.metadata["topic"] == "dlq/hostile/temperature", "\(line)")
        let health = GatewayHTTP.handler(status: status, configuration: gateway.configuration)("/healthz")
        #expect(health.status == 200 && health.body.contains("\"degraded\"") && health.body.contains("the broker refused 1 publication(s)"), "\(health.body)")
        let metrics = GatewayHTTP.handler(status: status, configuration: gateway.configuration)("/metrics").body
        #expect(metrics.contains("sensor_gateway_publications_refused_total 1"), "\(metrics)")
        #expect(metrics.contains("sensor_gateway_publications_refused_by_reason_total{kind=\"deadLetter\",reason=\"\(what.reason)\"} 1"), "\(metrics)")
        try Promtool.expectSuccess(["check", "metrics"], input: metrics)
        try await gateway.stop()
        await fleet.close()
        await watcher.close()
    }

    @Test(
        "under the shipped ACL without the gateway's cleaned/ line, every cleaned reading is refused (not authorised): counted, logged, /healthz degraded, latest/ still flows"
    )
    func cleanedNotAuthorised() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["sensor-gateway", "historian", "s1"], in: dir)
        let shipped = try String(contentsOfFile: "\(DeployedACLTests.deployFolder)/mosquitto.acl", encoding: .utf8)
        #expect(shipped.contains("\ntopic write cleaned/#\n"))
        try shipped.replacingOccurrences(of: "\ntopic write cleaned/#\n", with: "\n").write(toFile: dir.file("acl"), atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(extraConfig: ["password_file \(passwords)", "acl_file \(dir.file("acl"))"], anonymous: false)
        defer { broker.shutdown() }
        let login = DeployedACLTests.login
        let historian = try await Subscriber.connect(broker, id: "historian", filters: ["cleaned/#", "latest/#"], configure: login("historian"))
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "acl", logger: log.logger()) {
            $0.username = "sensor-gateway"
            $0.password = "pw-sensor-gateway"
        }
        let sensor = try await TestSensorFleet.connect(broker, answersResends: false, configure: login("s1"))
        for seq in UInt64(0)..<3 { try sensor.measure("s1", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52) }
        try await historian.recorder.wait(for: "latest/ of seq 2", timeout: .seconds(60)) {
            $0.messages.contains { $0.topic.hasPrefix("latest/") && (try? WireJSON.decode(CleanedReading.self, from: $0.payload))?.seq == 2 }
        }
        let status = gateway.status
        try await waitUntil("the three refusals counted") { status.snapshot.runtime.refusedPublications.values.reduce(0, +) == 3 }
        let refused = status.snapshot.runtime.refusedPublications
        #expect(refused.keys.map(\.kind) == ["cleaned"] && refused.keys.allSatisfy { $0.reason.contains("0x87") }, "\(refused)")
        #expect(await historian.messages(on: "cleaned/").isEmpty)
        let lines = log.lines.filter { $0.message.hasPrefix("the broker refused a publication") }
        #expect(lines.count == 1 && lines.first?.metadata["topic"] == "cleaned/s1/temperature", "\(log.messages)")
        let health = GatewayHTTP.handler(status: status, configuration: gateway.configuration)("/healthz")
        #expect(health.body.contains("\"degraded\"") && health.body.contains("the broker refused 3 publication(s)"), "\(health.body)")
        try await gateway.stop()
        await sensor.close()
        await historian.close()
    }
}
