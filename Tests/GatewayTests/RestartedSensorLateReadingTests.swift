import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// CONTRACT section 4 through the real executable and a real mosquitto: a reading of the boot
/// before a sensor's restart, arriving after the new boot's first readings, restates its
/// `synthetic` estimate under its own boot (it was dead-lettered `too_late`), the aggregate
/// window that counted the estimate is published again, and a SIGKILL does not make the gateway
/// restate it a second time.
@Suite("A late reading of the boot before a sensor's restart")
struct RestartedSensorLateReadingTests {
    /// A minute boundary, so the first boot's readings share one aggregate window.
    static let t0: Int64 = 1_795_660_020_000

    static func body(seq: UInt64, boot: Int, ts: Int64, temperature: Double = 52) -> String {
        TestSensorFleet.payload(seq: seq, ts: ts, temperature: temperature, boot: boot)
    }

    @Test("restated under its boot with its aggregate window revised; after a SIGKILL, another reading for the seq is a duplicate")
    func restatedAcrossTheRestart() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "aggregates/#", "dlq/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        func waitFor(_ what: String, _ found: @escaping @Sendable ([CleanedReading]) -> Bool) async throws {
            try await watcher.recorder.wait(for: what, timeout: .seconds(120)) { events in
                found(events.messages.filter { $0.topic == "cleaned/rb/temperature" }.compactMap(CleanedReading.init))
            }
        }

        // Boot 1 loses seq 2 (filled), then the sensor restarts: boot 2, two minutes on.
        for seq: UInt64 in [0, 1, 3, 4] { try fleet.publishRaw("rb", Self.body(seq: seq, boot: 1, ts: Self.t0 + Int64(seq) * 1000)) }
        try await waitFor("boot 1 seq 4") { $0.contains { $0.boot == 1 && $0.seq == 4 } }
        #expect(await watcher.cleaned().first { $0.boot == 1 && $0.seq == 2 }?.quality == .synthetic)
        try fleet.publishRaw("rb", Self.body(seq: 0, boot: 2, ts: Self.t0 + 120_000))
        try await waitFor("boot 2 seq 0") { $0.contains { $0.boot == 2 && $0.seq == 0 } }

        // Boot 1's seq 2 turns up (a relay held it): restated under boot 1.
        try fleet.publishRaw("rb", Self.body(seq: 2, boot: 1, ts: Self.t0 + 2000, temperature: 51.5))
        try await waitFor("boot 1 seq 2 restated") { $0.contains { $0.boot == 1 && $0.seq == 2 && $0.quality == .restated } }
        let restated = try #require(await watcher.cleaned().first { $0.boot == 1 && $0.seq == 2 && $0.quality == .restated })
        #expect(restated.temperature == 51.5 && restated.supersedes == "synthetic")
        try await watcher.recorder.wait(for: "boot 1's window published again", timeout: .seconds(120)) { events in
            events.messages.contains { $0.topic.hasPrefix("aggregates/rb/") && Self.window($0)?.revision == 1 }
        }
        let revised = try #require(await watcher.messages(on: "aggregates/rb/temperature/60s").compactMap(Self.window).last { $0.start == Self.t0 })
        #expect(revised.synthetic == 0 && revised.ok == 5 && revised.count == 5)

        // A SIGKILL and a restart: the publications not yet known acknowledged go out again,
        // byte for byte (consumers de-duplicate them, CONTRACT section 2), and another reading
        // for the seq (a different value, so a second restatement would show) is a duplicate.
        try await scenario.crashAndRestartGateway(round: 2)
        try await scenario.gateway.waitUntilConnected()
        try fleet.publishRaw("rb", Self.body(seq: 2, boot: 1, ts: Self.t0 + 2000, temperature: 51.7))
        try fleet.publishRaw("rb", Self.body(seq: 1, boot: 2, ts: Self.t0 + 121_000))
        try await waitFor("boot 2 seq 1") { $0.contains { $0.boot == 2 && $0.seq == 1 } }
        let restatements = await watcher.messages(on: "cleaned/rb/temperature").filter {
            CleanedReading($0).map { $0.boot == 1 && $0.seq == 2 && $0.quality == .restated } ?? false
        }
        #expect(Set(restatements.map(\.payload)).count == 1, "\(restatements.map { String(decoding: $0.payload, as: UTF8.self) })")
        #expect(await watcher.messages(on: "dlq/rb/temperature").isEmpty)
        #expect(try await scenario.finish() == 0)
    }

    struct Window {
        var start: Int64
        var count, ok, synthetic, revision: Int
    }

    static func window(_ m: MQTTMessage) -> Window? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(m.payload)) as? [String: Any],
            let start = (json["window_start"] as? NSNumber)?.int64Value, let count = json["count"] as? Int, let ok = json["ok"] as? Int,
            let synthetic = json["synthetic"] as? Int, let revision = json["revision"] as? Int
        else { return nil }
        return Window(start: start, count: count, ok: ok, synthetic: synthetic, revision: revision)
    }
}
