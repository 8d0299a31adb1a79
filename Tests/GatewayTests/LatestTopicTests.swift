import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// The retained last value (CONTRACT.md section 10) through the real executable and a real
/// mosquitto: `latest/<sensor>/temperature` follows the newest reading by `ts`, a restated older
/// reading never replaces it, and a crash and restart neither move it back nor lose it.
@Suite("The retained last value on latest/")
struct LatestTopicTests {
    static let t0: Int64 = 1_795_660_000_000
    static func ts(_ seq: UInt64) -> Int64 { t0 + Int64(seq) * 1000 }

    /// A `latest/` message's reading (the same payload as on `cleaned/`).
    static func reading(_ m: MQTTMessage) -> CleanedReading? { try? WireJSON.decode(CleanedReading.self, from: m.payload) }

    /// The `ts` of every `latest/lt/temperature` message the watcher received, in order.
    static func latestTimes(_ watcher: Subscriber) async -> [Int64] {
        await watcher.messages(on: "latest/lt/temperature").compactMap { Self.reading($0)?.ts }
    }

    /// What a client subscribing now is handed as the retained value.
    static func retained(_ broker: TestBroker, id: String) async throws -> MQTTMessage {
        let reader = try await Subscriber.connect(broker, id: id, filters: ["latest/lt/temperature"])
        defer { Task { await reader.close() } }
        try await reader.recorder.wait(for: "the retained latest/lt/temperature", timeout: .seconds(60)) { !$0.messages.isEmpty }
        return try #require(await reader.recorder.messages.first)
    }

    @Test("a fill, its late real reading (restated), a SIGKILL and a restart: latest/ only ever moves forward and ends on the newest reading's cleaned message")
    func followsTheNewest() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "latest/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        func waitForLatest(_ seq: UInt64, _ what: String) async throws {
            try await watcher.recorder.wait(for: what, timeout: .seconds(120)) { events in
                events.contains { if case .message(let m) = $0 { m.topic == "latest/lt/temperature" && Self.reading(m)?.seq == seq } else { false } }
            }
        }

        // Seq 2 is missing: filled (synthetic), and latest/ passes through it to seq 3.
        for seq: UInt64 in [0, 1, 3] { try fleet.measure("lt", seq: seq, ts: Self.ts(seq), temperature: 52) }
        try await waitForLatest(3, "latest/ at seq 3")
        #expect(await Self.latestTimes(watcher) == [0, 1, 2, 3].map(Self.ts))
        let filled = await watcher.cleaned().first { $0.seq == 2 }
        #expect(filled?.quality == .synthetic)

        // The real seq 2 arrives late: restated on cleaned/, but older than seq 3, so not on latest/.
        try fleet.measure("lt", seq: 2, ts: Self.ts(2), temperature: 53)
        try fleet.measure("lt", seq: 4, ts: Self.ts(4), temperature: 52)
        try await waitForLatest(4, "latest/ at seq 4")
        #expect(await watcher.cleaned().contains { $0.seq == 2 && $0.quality == .restated })
        #expect(await Self.latestTimes(watcher) == [0, 1, 2, 3, 4].map(Self.ts))

        // A crash and a restart: whatever the restart sends again, latest/ never moves back.
        try await scenario.crashAndRestartGateway(round: 2)
        try await scenario.gateway.waitUntilConnected()
        try fleet.measure("lt", seq: 5, ts: Self.ts(5), temperature: 52)
        try await waitForLatest(5, "latest/ at seq 5 after the restart")
        let times = await Self.latestTimes(watcher)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 }, "latest/ moved back: \(times)")

        // A new subscriber is handed seq 5's cleaned message, byte for byte.
        let retained = try await Self.retained(scenario.broker, id: "latest-reader")
        let cleaned5 = try #require(await watcher.messages(on: "cleaned/lt/temperature").last { CleanedReading($0)?.seq == 5 })
        #expect(retained.payload == cleaned5.payload)
        #expect(retained.retain)
        #expect(try await scenario.finish() == 0)
    }
}
