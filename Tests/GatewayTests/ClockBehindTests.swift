import Foundation
import Testing
import TestSupport
import Wire

@testable import Gateway

/// A fresh gateway on a box whose clock is more than `future-tolerance-s` behind dead-letters
/// every reading as `bad_value:ts` (from the future); `/healthz` said "ok" and no alert fired
/// (found black-box, twenty-first review).
@Suite("A box whose clock is behind its sensors'")
struct ClockBehindTests {
    @Test(
        "a fresh gateway two days behind its sensors: their readings are dead-lettered bad_value:ts, and the log, /healthz (degraded) and the metric say so"
    )
    func freshBoxTwoDaysBehind() async throws {
        let broker = try await TestBroker.start()
        defer { broker.shutdown() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let watcher = try await Subscriber.connect(broker, id: "watcher", filters: ["dlq/#"])
        let wall = SteppedWallClock()
        wall.step(-2 * 86_400_000)
        let log = CapturedLog()
        let gateway = try await InProcessGateway.start(broker, in: dir, id: "behind", clocks: wall.sources, logger: log.logger())
        let status = gateway.status
        let fleet = try await TestSensorFleet.connect(broker, answersResends: false)
        let now = Clocks.epochMilliseconds()
        for seq in UInt64(0)..<5 { try fleet.measure("ahead", seq: seq, ts: now + Int64(seq) * 1000, temperature: 52) }
        try await watcher.recorder.wait(for: "five dead letters", timeout: .seconds(120)) { $0.messages.count >= 5 }
        let reasons = await watcher.recorder.messages.compactMap { try? JSONSerialization.jsonObject(with: Data($0.payload)) as? [String: Any] }
            .compactMap { $0["reason"] as? String }
        #expect(reasons == Array(repeating: "bad_value:ts", count: 5))
        try await waitUntil("the gateway to report them", timeout: .seconds(120)) { status.snapshot.runtime.lastAheadOfClockAt != nil }
        let health = GatewayHTTP.handler(status: status, configuration: gateway.configuration)
        let body = health("/healthz").body
        #expect(body.contains("\"degraded\"") && body.contains("ahead of this box's clock"), "\(body)")
        // The sensor to look at, and by how much its clock is ahead (two days, give or take the
        // seconds in the readings' stamps and their way here).
        #expect(body.contains("(sensor ahead, 1727") || body.contains("(sensor ahead, 1728"), "\(body)")
        try await waitUntil("all five counted", timeout: .seconds(120)) { status.snapshot.counters.aheadOfClock == 5 }
        #expect(health("/metrics").body.contains("\nsensor_gateway_readings_ahead_of_clock_total 5\n"))
        let warning = log.lines.first { $0.level == .warning && $0.message.hasPrefix("readings stamped more than future-tolerance-s ahead") }
        #expect(warning?.metadata["last_sensor"] == "ahead", "\(log.messages)")
        #expect(
            warning.flatMap { $0.metadata["last_ahead_s"].flatMap { Int("\($0)") } }.map { (172_700...172_810).contains($0) } == true,
            "\(String(describing: warning))")
        await fleet.close()
        await watcher.close()
        try await gateway.stop()
    }
}
