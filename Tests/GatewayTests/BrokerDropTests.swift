import Foundation
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A broker whose limits for the gateway's session are reached drops readings the gateway never
/// sees; those that no later seq reveals (an epoch's last before a reboot) were lost with no
/// sign at all (found in review, with mosquitto's default `max_queued_messages 1000`). The
/// gateway now reads the broker's own count of drops (`BrokerDropWatch`).
@Suite("The broker's dropped messages")
struct BrokerDropTests {
    @Test("the first count is a rise when above 0; a higher count rises by the difference; a lower one is a broker restart; garbage is ignored")
    func watchRules() {
        var watch = BrokerDropWatch()
        #expect(watch.observe(Array("0".utf8)) == nil)
        #expect(watch.observe(Array("0".utf8)) == nil)
        #expect(watch.observe(Array("12".utf8)) == .init(total: 12, added: 12, sinceBrokerStart: false))
        #expect(watch.observe(Array("12".utf8)) == nil)
        #expect(watch.observe(Array("x12".utf8)) == nil)
        #expect(watch.observe(Array("".utf8)) == nil)
        #expect(watch.observe(Array("99999999999999999999999".utf8)) == nil)
        #expect(watch.total == 12)
        #expect(watch.observe(Array(" 20\n".utf8)) == .init(total: 20, added: 8, sinceBrokerStart: false))
        #expect(watch.observe(Array("3".utf8)) == .init(total: 3, added: 3, sinceBrokerStart: true))
        #expect(watch.observe(Array("0".utf8)) == nil)
        #expect(watch.total == 0)

        var fresh = BrokerDropWatch()
        #expect(fresh.observe(Array("7".utf8)) == .init(total: 7, added: 7, sinceBrokerStart: true))
        #expect(BrokerDropWatch.describe(.init(total: 7, added: 7, sinceBrokerStart: true)).hasPrefix("the broker dropped 7 message(s) since it started"))
    }

    @Test(
        "readings the broker dropped from the gateway's session while it was stopped: at its restart the log warns, /healthz is degraded and the metric shows the broker's count"
    )
    func droppedWhileStopped() async throws {
        // A queue of 5 for an offline session, and $SYS every second (the default is 10 s).
        let broker = try await TestBroker.start(extraConfig: ["max_queued_messages 5", "sys_interval 1"])
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var gateway = try await InProcessGateway.start(broker, in: dir, id: "drops")
        #expect(gateway.status.snapshot.runtime.brokerDrops.total ?? 0 == 0)
        try await gateway.stop()

        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        for seq in UInt64(0)..<30 { try fleet.measure("queued", seq: seq, ts: 1_795_660_000_000 + Int64(seq) * 1000, temperature: 52) }
        await fleet.close()

        let log = CapturedLog()
        gateway = try await InProcessGateway.start(broker, in: dir, id: "drops", logger: log.logger())
        let status = gateway.status
        try await waitUntil("the gateway to read the broker's count", timeout: .seconds(120)) { status.snapshot.runtime.lastBrokerDrop != nil }
        // 30 readings for an offline session that holds 5: the broker dropped 25. Its first
        // retained count may be one published before the drops (0): then the rise is the next.
        let rise = try #require(status.snapshot.runtime.lastBrokerDrop)
        #expect(rise.total == 25 && rise.added == 25, "\(rise)")
        let line = try #require(log.lines.first { $0.message.hasPrefix("the broker dropped 25 message(s) since") }, "\(log.messages)")
        #expect(line.level == .warning)
        let health = GatewayHTTP.handler(status: status, configuration: gateway.configuration)
        let body = health("/healthz").body
        #expect(body.contains("\"degraded\"") && body.contains("the broker dropped 25 message(s)"), "\(body)")
        #expect(health("/metrics").body.contains("\nsensor_gateway_broker_dropped_messages_total 25\n"))
        try await gateway.stop()
    }
}
