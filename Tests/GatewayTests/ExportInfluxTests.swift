import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// The line-protocol export loaded into a real InfluxDB through `/write`, and read back.
@Suite("Export into a real InfluxDB")
struct ExportInfluxTests {
    static let base = GatewayScenario.exportBase

    @Test("an export loaded through /write gives back the cleaned stream's counts and values; a later export's restated point overwrites the synthetic one")
    func loadAndQuery() async throws {
        let influx = try await InfluxServer.start()
        defer { influx.stop() }
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--max-fill", "3"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, dir) = (scenario.watcher, scenario.directory)
        // m: 2 lost (synthetic), 6...9 lost (a gap); n with a boot.
        for seq in UInt64(0)...12 where seq != 2 && !(6...9).contains(seq) { try scenario.send("m", seq, 50 + Double(seq % 4) * 0.75) }
        for seq in UInt64(0)...5 { try scenario.send("n", seq, 54.125, boot: 9) }
        try await scenario.waitForCleaned("m/12:ok")
        try await scenario.waitForCleaned("n/5:ok")
        try await scenario.waitForCleaned("m/2:synthetic")
        try await scenario.waitForCleaned("m/6:gap")

        let from = Self.base, to = Self.base + 60_000
        try await influx.createDatabase("plant")
        func exportAndLoad(_ name: String) async throws {
            let (code, log) = try await GatewayProcess.runTool(
                [
                    "export", "--data-dir", scenario.dataDirectory, "--from", "\(from)", "--to", "\(to)", "--format", "influx",
                    "--output", dir.file(name),
                ], logPath: dir.file("\(name).log"))
            #expect(code == 0, "\(log)")
            try await influx.write(file: dir.file(name), database: "plant")
        }
        try await exportAndLoad("before.lp")
        let synthetic = try await influx.query("SELECT temperature, quality FROM temperature WHERE sensor_id = 'm' AND seq = 2", database: "plant")
        #expect(synthetic.count == 1)
        #expect(synthetic.first?[2] as? String == "synthetic")

        // The real reading for 2 turns up late: restated, at the estimate's ts (a steady period).
        try scenario.send("m", 2, 53.5)
        try await scenario.waitForCleaned("m/2:restated")
        try await exportAndLoad("after.lp")

        // Expected: the live stream with restatements applied, keyed by stream and ts.
        let live = await watcher.messages(on: "cleaned/")
        let final = ExportEndToEndTests.restatementsApplied(live, from: from, to: to).compactMap {
            try? WireJSON.decode(CleanedReading.self, from: Array($0.utf8))
        }
        for sensor in ["m", "n"] {
            let readings = final.filter { $0.sensorID == sensor && $0.quality != .gap }.sorted { $0.ts < $1.ts }
            let rows = try await influx.query(
                "SELECT temperature, quality, seq, boot FROM temperature WHERE sensor_id = '\(sensor)'", database: "plant")
            #expect(rows.count == readings.count, "\(sensor): \(rows.count) points for \(readings.count) readings")
            let got = rows.map { row in
                "\((row[0] as? NSNumber)?.int64Value ?? -1) \((row[1] as? NSNumber)?.doubleValue ?? .nan) \(row[2] as? String ?? "?") \((row[3] as? NSNumber)?.int64Value ?? -1) \((row[4] as? NSNumber)?.int64Value ?? -1)"
            }
            let wanted = readings.map { "\($0.ts) \($0.temperature ?? .nan) \($0.quality.rawValue) \($0.seq) \($0.boot ?? -1)" }
            #expect(got == wanted)
            let count = try await influx.query("SELECT count(temperature) FROM temperature WHERE sensor_id = '\(sensor)'", database: "plant")
            #expect((count.first?[1] as? NSNumber)?.intValue == readings.count)
        }
        // The restated point replaced the synthetic one: one point for seq 2, the real value.
        let restated = try await influx.query("SELECT temperature, quality, supersedes FROM temperature WHERE sensor_id = 'm' AND seq = 2", database: "plant")
        #expect(restated.count == 1)
        #expect((restated.first?[1] as? NSNumber)?.doubleValue == 53.5)
        #expect(restated.first?[2] as? String == "restated")
        #expect(restated.first?[3] as? String == "synthetic")
        // The gap: one point in temperature_gap, at from_ts, spanning 6...9.
        let gaps = try await influx.query("SELECT from_seq, to_seq, from_ts, to_ts FROM temperature_gap", database: "plant")
        #expect(gaps.count == 1)
        #expect(gaps.first.map { $0.compactMap { ($0 as? NSNumber)?.int64Value } } == [Self.base + 5000, 6, 9, Self.base + 5000, Self.base + 10_000])
        #expect(try await scenario.finish() == 0)
    }
}
