import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// CSV and JSON sensors side by side through the real executable and a real broker: the same
/// readings give the same cleaned output whichever form carried them (docs/INTERFACE.md section 10).
@Suite("CSV payloads end to end")
struct CSVEndToEndTests {
    static let base: Int64 = 1_795_660_000_000

    @Test("a CSV and a JSON sensor with a gap and an out-of-range value: cleaned output and dead letters exactly")
    func csvBesideJSON() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "dlq/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, fleet) = (scenario.watcher, scenario.fleet)
        // seq 2 is lost on the way (a gap: filled linearly), seq 4 is out of range (corrected).
        let values: [UInt64: Double] = [0: 52, 1: 52.5, 3: 53.5, 4: 70, 5: 54, 6: 53]
        for seq in values.keys.sorted() {
            let (ts, value) = (Self.base + Int64(seq) * 1000, values[seq]!)
            try fleet.publishRaw("csv-1", "\(seq),\(ts),\(value),normal\r\n")
            try fleet.publishRaw("json-1", TestSensorFleet.payload(seq: seq, ts: ts, temperature: value))
            if seq == 5 {
                try fleet.publishRaw("csv-1", "6,\(ts + 1000)")  // a line cut short
                try fleet.publishRaw("json-1", "{\"seq\":6")
            }
        }
        try await watcher.recorder.wait(for: "seq 6 of both sensors and four dead letters", timeout: .seconds(120)) { events in
            let messages = events.compactMap { if case .message(let m) = $0 { m } else { nil } }
            let done = messages.compactMap(CleanedReading.init).filter { $0.seq == 6 }.count == 2
            return done && messages.filter { $0.topic.hasPrefix("dlq/") }.count == 4
        }

        func expected(_ sensor: String) -> [String] {
            let fields = { (seq: Int, value: String) in
                "\"sensor_id\":\"\(sensor)\",\"seq\":\(seq),\"ts\":\(Self.base + Int64(seq) * 1000),\"temperature\":\(value)"
            }
            return [
                "{\(fields(0, "52.0")),\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\(fields(1, "52.5")),\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\(fields(2, "53.0")),\"status\":\"normal\",\"quality\":\"synthetic\",\"method\":\"linear\"}",
                "{\(fields(3, "53.5")),\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\(fields(4, "53.75")),\"status\":\"normal\",\"quality\":\"corrected\",\"raw\":70.0,\"reason\":\"out_of_range\"}",
                "{\(fields(5, "54.0")),\"status\":\"normal\",\"quality\":\"ok\"}",
                "{\(fields(6, "53.0")),\"status\":\"normal\",\"quality\":\"ok\"}",
            ]
        }
        for sensor in ["csv-1", "json-1"] {
            let cleaned = await watcher.messages(on: "cleaned/\(sensor)/").map { String(decoding: $0.payload, as: UTF8.self) }
            #expect(cleaned == expected(sensor), "\(sensor)")
        }
        let letters = { (sensor: String) async throws -> [String] in
            try await watcher.messages(on: "dlq/\(sensor)/temperature").map {
                let letter = try WireJSON.decode(DeadLetter.self, from: $0.payload)
                #expect(letter.topic == "sensors/\(sensor)/temperature")
                return "\(letter.reason) \(letter.payload ?? "-")"
            }
        }
        #expect(try await letters("csv-1") == ["out_of_range 4,\(Self.base + 4000),70.0,normal\r\n", "malformed_csv:value 6,\(Self.base + 6000)"])
        #expect(
            try await letters("json-1") == [
                "out_of_range \(TestSensorFleet.payload(seq: 4, ts: Self.base + 4000, temperature: 70))", "malformed_json {\"seq\":6",
            ])
        #expect(try await scenario.finish() == 0)
    }

    @Test("sensor-sim with every second sensor on CSV and the field's faults: the verifier passes, corrupt lines are malformed_csv")
    func simulatedMixedFleet() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#", "dlq/#"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, dir) = (scenario.watcher, scenario.directory)
        let truth = dir.file("truth.jsonl")
        let sim = try ChildProcess(
            BuiltProducts.executable("sensor-sim"),
            [
                "run", "--broker", scenario.broker.url, "--sensors", "6", "--rate", "20", "--count", "100", "--csv-fraction", "0.5",
                "--corrupt-rate", "0.05", "--resend-buffer", "100", "--linger", "15", "--seed", "7", "--truth", truth,
                "--start-ts", "1795660000000",
            ],
            logPath: dir.file("sim.log"))
        try await sim.wait(timeout: .seconds(180))
        #expect(sim.exitCode == 0, "\(sim.output.suffix(500))")
        // Every sensor's stream covers its last seq (a lost tail is asked for once the sensor is quiet).
        try await watcher.recorder.wait(for: "seq 99 of every simulated sensor", timeout: .seconds(120)) { events in
            let covered = events.messages.compactMap(CleanedReading.init).filter { ($0.toSeq ?? $0.seq) >= 99 }
            return Set(covered.map(\.sensorID)).count == 6
        }
        let verify = try await SimulatorVerifier.verify(watcher, truth: truth, in: dir)
        #expect(verify.exitCode == 0, "\(verify.output.suffix(1500))")

        // sim-1, sim-3 and sim-5 send CSV: their truncated lines and quoted seqs are malformed_csv.
        let reasons = try await watcher.messages(on: "dlq/sim-").map { ($0.topic, try WireJSON.decode(DeadLetter.self, from: $0.payload).reason) }
        let csvReasons = reasons.filter { ["dlq/sim-1/", "dlq/sim-3/", "dlq/sim-5/"].contains(where: $0.0.hasPrefix) }.map(\.1)
        #expect(csvReasons.contains { $0.hasPrefix("malformed_csv:") }, "\(csvReasons)")
        #expect(!csvReasons.contains("malformed_json"), "\(csvReasons)")
        #expect(csvReasons.contains("out_of_range"))
        #expect(try await scenario.finish() == 0)
    }
}
