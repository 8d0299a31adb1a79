import Foundation
import MQTT
import Testing
import TestSupport

@testable import Gateway

/// Under an ACL from before 0.2.0 (the gateway may write `latest/#` but not read it, nor write
/// its latest-read marker) mosquitto grants the start's subscription and delivers nothing: the
/// start went on unchecked without a word, so a data folder put back from a backup published
/// its seqs again as `synthetic`, with `/healthz` ok (found black-box, 61st review).
@Suite("The start-up check under a broker ACL from before 0.2.0")
struct OldACLStartCheckTests {
    @Test(
        "a restart that reads none of the latest/ values its journal published says the journal was not checked (log, /healthz degraded); under the shipped ACL it does not"
    )
    func oldACLSaysUnchecked() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let passwords = try await TestBroker.passwordFile(users: ["sensor-gateway", "historian", "s1"], in: dir)
        let shipped = try String(contentsOfFile: "\(DeployedACLTests.deployFolder)/mosquitto.acl", encoding: .utf8)
        let old = shipped.replacingOccurrences(of: "topic readwrite latest/#", with: "topic write latest/#")
            .replacingOccurrences(of: "topic readwrite gateway/+/latest-read\n", with: "")
        #expect(old != shipped && !old.contains("latest-read"))
        let acl = dir.file("acl")
        try old.write(toFile: acl, atomically: true, encoding: .utf8)
        let broker = try await TestBroker.start(extraConfig: ["password_file \(passwords)", "acl_file \(acl)"], anonymous: false)
        defer { broker.shutdown() }
        let gatewayLogin: (inout GatewayConfiguration) -> Void = {
            $0.username = "sensor-gateway"
            $0.password = "pw-sensor-gateway"
        }
        let historian = try await Subscriber.connect(broker, id: "historian", filters: ["latest/#"], configure: DeployedACLTests.login("historian"))
        let first = try await InProcessGateway.start(broker, in: dir, id: "old-acl", configure: gatewayLogin)
        let sensor = try await Subscriber.connect(broker, id: "s1", filters: [], configure: DeployedACLTests.login("s1"))
        for seq in 0..<3 {
            let payload = "{\"seq\":\(seq),\"ts\":\(Clocks.epochMilliseconds() + Int64(seq)),\"temperature\":52,\"status\":\"normal\"}"
            _ = try sensor.client.publish(topic: "sensors/s1/temperature", payload: Array(payload.utf8), qos: .atLeastOnce)
        }
        try await historian.recorder.wait(for: "s1's seq 2 on latest/", timeout: .seconds(120)) { events in
            events.messages.contains { $0.topic == "latest/s1/temperature" && String(decoding: $0.payload, as: UTF8.self).contains("\"seq\":2,") }
        }
        try await first.stop()

        func restart(_ label: String, latest: Bool = true) async throws -> (log: CapturedLog, health: String) {
            let log = CapturedLog()
            let gateway = try await InProcessGateway.start(
                broker, in: dir, id: "old-acl", logger: log.logger(),
                configure: {
                    gatewayLogin(&$0)
                    if !latest { $0.engine.withoutLatest = true }
                })
            let health = GatewayHTTP.handler(status: gateway.status, configuration: gateway.configuration)("/healthz").body
            try await gateway.stop()
            return (log, health)
        }
        let unchecked = try await restart("old ACL")
        #expect(
            unchecked.log.lines.contains {
                $0.level == .warning
                    && $0.message.hasPrefix(
                        "the broker delivered none of the retained latest/ values this journal published (1 streams) and refused the gateway's latest-read marker"
                    )
            }, "\(unchecked.log.messages)")
        #expect(unchecked.health.contains("\"degraded\"") && unchecked.health.contains("this start did not check the journal"), "\(unchecked.health)")

        // With `latest off` nothing is read and nothing expected back: no warning, and a notice
        // that the check is off.
        let off = try await restart("latest off", latest: false)
        #expect(!off.log.messages.contains { $0.contains("not checked") || $0.contains("delivered none") }, "\(off.log.messages)")
        #expect(off.log.lines.contains { $0.level == .notice && $0.message.hasPrefix("latest is off: the journal is not compared") }, "\(off.log.messages)")
        #expect(!off.log.lines.contains { $0.level >= .warning }, "\(off.log.messages)")

        // The shipped ACL (the broker restarted on it, its retained values kept): the values are
        // read, and nothing is said.
        try shipped.write(toFile: acl, atomically: true, encoding: .utf8)
        try await broker.restart()
        let checked = try await restart("shipped ACL")
        #expect(!checked.log.messages.contains { $0.contains("not checked") || $0.contains("delivered none") }, "\(checked.log.messages)")
        #expect(!checked.health.contains("this start did not check"), "\(checked.health)")
        await sensor.close()
        await historian.close()
    }
}
