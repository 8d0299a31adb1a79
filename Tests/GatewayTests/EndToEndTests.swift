import Wire
import Foundation
import MQTT
import Testing
import TestSupport

/// The real executable against a real broker: the contract's scenarios end to end.
@Suite("Gateway end to end")
struct EndToEndTests {
    static let base: Int64 = 1_795_660_000_000

    static func summary(_ views: [CleanedReading], sensor: String) -> [String] {
        views.filter { $0.sensorID == sensor }.map { "\($0.seq):\($0.quality)" }
    }

    @Test("a scripted stream with gaps, duplicates, reordering, bad values, corrupt payloads, late data and a restart")
    func scriptedStream() async throws {
        let scenario = try await GatewayScenario.start(
            watching: ["cleaned/#", "dlq/#", "sensors/+/resend", "aggregates/#"],
            gatewayFlags: ["--aggregate-window-s", "2"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        func send(_ seq: UInt64, _ t: Double = 52, ts: Int64? = nil) throws {
            try fleet.publishRaw("a", TestSensorFleet.payload(seq: seq, ts: ts ?? Self.base + Int64(seq) * 1000, temperature: t))
        }
        func waitFor(_ entry: String) async throws {
            try await watcher.recorder.wait(for: entry) { events in
                Self.summary(events.messages.compactMap(CleanedReading.init), sensor: "a").contains(entry)
            }
        }
        for s in UInt64(0)...2 { try send(s, 50 + Double(s)) }
        try await waitFor("2:ok")
        try send(4, 54)
        try await waitFor("4:ok")
        try send(4, 54)  // duplicate
        try send(6, 53)
        try send(5, 52.5)  // reordered
        try await waitFor("6:ok")
        try send(7, 70)  // out of range
        try send(8, 54)
        try await waitFor("8:ok")
        try fleet.publishRaw("a", "{\"seq\":")  // corrupt
        try send(3, 53.25)  // late: already published as synthetic
        try await waitFor("3:restated")
        try send(0, 51, ts: Self.base + 100_000)  // sensor restarted: seq back to 0
        try await watcher.recorder.wait(for: "the new epoch's 0") { events in
            Self.summary(events.messages.compactMap(CleanedReading.init), sensor: "a").filter { $0 == "0:ok" }.count == 2
        }

        let cleaned = await watcher.cleaned()
        #expect(
            Self.summary(cleaned, sensor: "a") == ["0:ok", "1:ok", "2:ok", "3:synthetic", "4:ok", "5:ok", "6:ok", "7:corrected", "8:ok", "3:restated", "0:ok"])
        let corrected = cleaned.first { $0.quality == .corrected }
        #expect(corrected?.temperature == 53.5)
        #expect(corrected?.raw == 70.0)
        let reasons = await watcher.messages(on: "dlq/a/").compactMap {
            (try? WireJSON.decode(DeadLetter.self, from: $0.payload))?.reason
        }
        #expect(reasons == ["out_of_range", "malformed_json"])
        let resends = await watcher.messages(on: "sensors/a/resend").map { String(decoding: $0.payload, as: UTF8.self) }
        // Gap requests name a range; an open-ended one may come too if the sensor (whose period
        // was learned from readings milliseconds apart) went stale on a busy machine.
        #expect(
            resends.filter { $0.contains("to_seq") }.starts(with: [
                "{\"from_seq\":3,\"to_seq\":3,\"measurement\":\"temperature\"}", "{\"from_seq\":5,\"to_seq\":5,\"measurement\":\"temperature\"}",
            ]), "\(resends)")
        let aggregates = await watcher.messages(on: "aggregates/a/temperature/2s").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(aggregates.contains { $0.contains("\"window_start\":\(Self.base + 2000)") && $0.contains("\"synthetic\":1") && $0.contains("\"revision\":0") })
        #expect(aggregates.contains { $0.contains("\"window_start\":\(Self.base + 2000)") && $0.contains("\"synthetic\":0") && $0.contains("\"revision\":1") })
        #expect(try await scenario.finish() == 0)
    }

    @Test("a sensor that answers resend requests gets its gaps filled with real readings, none synthetic")
    func resendFillsGaps() async throws {
        // A window long enough for the resend round trip (gateway -> broker -> sensor -> broker ->
        // gateway) even on 2 cores busy with the rest of the suite running in parallel (10 s was
        // not always: in-process gateways of other tests hold the test process's 2 concurrency
        // threads at times). Answered gaps come out as soon as they are filled, so a long window
        // costs nothing when all goes well.
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--reorder-window-ms", "60000"], answersResends: true)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        for seq in UInt64(0)..<100 {
            try fleet.measure("r", seq: seq, ts: Self.base + Int64(seq) * 100, temperature: 51 + Double(seq % 30) / 10, deliver: seq % 7 != 3)
        }
        try await watcher.recorder.wait(for: "100 cleaned readings", timeout: .seconds(120)) { $0.messages.compactMap(CleanedReading.init).count >= 100 }
        let cleaned = await watcher.cleaned()
        #expect(cleaned.map(\.seq) == Array(0..<100))
        #expect(cleaned.allSatisfy { $0.quality == .ok }, "\(cleaned.filter { $0.quality != .ok }.map { "\($0)" })")
        #expect(fleet.resendRequests.withLock { $0 } > 0)
        #expect(try await scenario.finish() == 0)
    }

    @Test("SIGTERM drains: exit 0, everything due published, the journal verifies clean")
    func sigtermDrains() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "gateway/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        for seq in UInt64(0)..<10 { try fleet.measure("t", seq: seq, ts: Self.base + Int64(seq), temperature: 52) }
        try await watcher.recorder.wait(for: "first reading") { !$0.messages.compactMap(CleanedReading.init).isEmpty }
        #expect(try await scenario.gateway.terminate() == 0)
        let cleaned = await watcher.cleaned()
        #expect(cleaned.map(\.seq) == Array(0..<10))
        try await watcher.recorder.wait(for: "the offline status") { events in
            events.messages.last { $0.topic == "gateway/gw/status" }.map { String(decoding: $0.payload, as: UTF8.self) } == "{\"state\":\"offline\"}"
        }
        let statuses = await watcher.messages(on: "gateway/gw/status").map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(statuses.first?.contains("\"state\":\"online\"") == true)
        #expect(statuses.last == "{\"state\":\"offline\"}")
        let (code, output) = try await GatewayProcess.runTool(
            ["journal", "verify", "--data-dir", scenario.dataDirectory],
            logPath: scenario.directory.file("verify.log"))
        #expect(code == 0, "\(output)")
        #expect(output.contains("corruption: none"))
        await fleet.close()
        await watcher.close()
    }
}
