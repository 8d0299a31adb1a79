import Foundation
import MQTT
import Testing
import TestSupport
import Wire

/// `sensor-gateway export` beside a running gateway against a real broker: the export of a window
/// equals what `cleaned/` carried in it with restatements applied, and the gateway goes on unharmed.
@Suite("Export beside a running gateway")
struct ExportEndToEndTests {
    static let base = GatewayScenario.exportBase

    /// The live stream of a window with restatements applied, as the export must give it: each
    /// message in the order seen, without the `synthetic`/`corrected` ones a later `restated`
    /// one replaces, `from <= ts < to`.
    static func restatementsApplied(_ live: [MQTTMessage], from: Int64, to: Int64) -> [String] {
        let views = live.map { (text: String(decoding: $0.payload, as: UTF8.self), reading: CleanedReading($0)!) }
        return views.enumerated().filter { n, v in
            let replaced =
                (v.reading.quality == .synthetic || v.reading.quality == .corrected)
                && views[(n + 1)...].contains { $0.reading.quality == .restated && $0.reading.stream == v.reading.stream && $0.reading.seq == v.reading.seq }
            return !replaced && v.reading.ts >= from && v.reading.ts < to
        }.map(\.element.text)
    }

    @Test("CSV and JSON lines exports of a window with a fill, a correction, a gap and late restatements equal the live stream with them applied")
    func exportEqualsLiveStream() async throws {
        let scenario = try await GatewayScenario.start(watching: ["cleaned/#"], gatewayFlags: ["--max-fill", "3"], answersResends: false)
        defer { scenario.cleanUp() }
        let (watcher, dir) = (scenario.watcher, scenario.directory)
        // p: 3 lost (synthetic), 7 out of range (corrected), 9...13 lost (a gap: over max-fill 3).
        for seq in UInt64(0)...15 where seq != 3 && !(9...13).contains(seq) {
            try scenario.send("p", seq, seq == 7 ? 70 : 50 + Double(seq % 5))
        }
        for seq in UInt64(0)...4 { try scenario.send("q", seq, 53, boot: 4) }
        try await scenario.waitForCleaned("p/15:ok")
        try await scenario.waitForCleaned("q/4:ok")
        try await scenario.waitForCleaned("p/3:synthetic")
        try await scenario.waitForCleaned("p/9:gap")
        // Late: 3 restates its fill, 11 a seq inside the gap, 7 its correction.
        try scenario.send("p", 3, 53.25)
        try scenario.send("p", 11, 51.5)
        try scenario.send("p", 7, 54.5)
        try await scenario.waitForCleaned("p/3:restated")
        try await scenario.waitForCleaned("p/11:restated")
        try await scenario.waitForCleaned("p/7:restated")

        let from = Self.base + 1000, to = Self.base + 15000
        let live = await watcher.messages(on: "cleaned/")
        let expected = Self.restatementsApplied(live, from: from, to: to)
        // p 1, 2, 4, 5, 6, 8, the gap, 14 and the three restatements; q 1...4.
        #expect(expected.count == 15)
        let summary = expected.compactMap { try? WireJSON.decode(CleanedReading.self, from: Array($0.utf8)) }.map {
            "\($0.sensorID)/\($0.seq):\($0.quality)"
        }
        #expect(Set(summary).isSuperset(of: ["p/3:restated", "p/7:restated", "p/11:restated", "p/9:gap", "q/1:ok"]))
        #expect(!summary.contains("p/3:synthetic") && !summary.contains("p/7:corrected"))

        // JSON lines into a file, beside the running gateway.
        let window = ["--data-dir", scenario.dataDirectory, "--from", "\(from)", "--to", "\(to)"]
        let (jsonCode, jsonLog) = try await GatewayProcess.runTool(
            ["export"] + window + ["--format", "jsonl", "--output", dir.file("export.jsonl")], logPath: dir.file("export-jsonl.log"))
        #expect(jsonCode == 0, "\(jsonLog)")
        #expect(jsonLog.isEmpty, "a file export in a pipe writes nothing else: \(jsonLog)")
        let lines = try String(contentsOfFile: dir.file("export.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == expected.map { String($0.dropLast()) + #","measurement":"temperature"}"# })

        // CSV on standard output, into a pipe (the tool's log): exactly the rows, no progress.
        let (csvCode, csv) = try await GatewayProcess.runTool(
            ["export"] + window + ["--format", "csv", "--measurement", "temperature"], logPath: dir.file("export-csv.log"))
        #expect(csvCode == 0)
        let rows = csv.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(rows.first == "sensor_id,measurement,boot,seq,ts,value,unit,status,quality,method,raw,reason,supersedes,from_seq,to_seq,from_ts,to_ts")
        #expect(rows.last == "")
        let views = expected.compactMap { try? WireJSON.decode(CleanedReading.self, from: Array($0.utf8)) }
        #expect(Array(rows.dropFirst().dropLast()) == views.map(Self.csvRow))

        // One sensor only.
        let (qCode, qOut) = try await GatewayProcess.runTool(["export"] + window + ["--format", "jsonl", "--sensor", "q"], logPath: dir.file("export-q.log"))
        #expect(qCode == 0)
        #expect(qOut.split(separator: "\n").count == 4)

        // The gateway carries on: it still takes readings and publishes them.
        try scenario.send("p", 16, 52)
        try await scenario.waitForCleaned("p/16:ok")
        #expect(try await scenario.finish() == 0)
    }

    /// The CSV row the export writes for a reading, built from its decoded fields.
    static func csvRow(_ r: CleanedReading) -> String {
        func n(_ d: Double?) -> String { d.map { "\($0)" } ?? "" }
        func i<T: BinaryInteger>(_ v: T?) -> String { v.map { "\($0)" } ?? "" }
        var columns: [String] = [r.sensorID, "temperature", i(r.boot), "\(r.seq)", "\(r.ts)", n(r.temperature), ""]
        columns += [r.status ?? "", r.quality.rawValue, r.method ?? "", n(r.raw), r.reason ?? "", r.supersedes ?? ""]
        columns += [i(r.fromSeq), i(r.toSeq), i(r.fromTs), i(r.toTs)]
        return columns.joined(separator: ",")
    }

    @Test("bad arguments exit 64, an unreadable journal 66; neither leaves an output file or touches an existing one")
    func exitStatuses() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let output = dir.file("out.csv")
        let good = ["--data-dir", dir.file("missing"), "--from", "1000", "--to", "2000", "--format", "csv", "--output", output]
        func run(_ replacing: [String: String], extra: [String] = []) async throws -> (Int32?, String) {
            var args = good
            for (flag, value) in replacing { args[args.firstIndex(of: flag)! + 1] = value }
            return try await GatewayProcess.runTool(["export"] + args + extra, logPath: dir.file("export-\(UUID().uuidString).log"))
        }
        for (replacing, extra, message) in [
            (["--from": "2000"], [], "from must be before to"),
            (["--from": "yesterday"], [], "--from=yesterday: expected epoch ms or RFC 3339"),
            (["--to": "2026-13-01T00:00:00Z"], [], "--to=2026-13-01T00:00:00Z"),
            (["--format": "parquet"], [], "parquet"),
            ([:], ["--measurement", "Humidity"], "--measurement=Humidity: not a measurement name"),
            ([:], ["--sensor", "a/b"], "--sensor=a/b: not a valid sensor id"),
        ] as [([String: String], [String], String)] {
            let (code, log) = try await run(replacing, extra: extra)
            #expect(code == 64, "\(replacing) \(extra): \(log)")
            #expect(log.contains(message), "\(log)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
        // `replay` refuses the same windows with the same words (a backwards one exited 0, found
        // black-box), before it looks for the journal.
        for (from, to, message) in [("2000", "1000", "from must be before to"), ("yesterday", "2000", "--from=yesterday: expected epoch ms")] {
            let (code, log) = try await GatewayProcess.runTool(
                ["replay", "--data-dir", dir.file("missing"), "--from", from, "--to", to], logPath: dir.file("replay-\(from).log"))
            #expect(code == 64, "replay --from \(from) --to \(to): \(log)")
            #expect(log.contains(message), "\(log)")
        }
        // A failed export leaves the previous file as it was, and no partial one beside it.
        try "previous export\n".write(toFile: output, atomically: true, encoding: .utf8)
        let (code, log) = try await run([:])
        #expect(code == 66)
        #expect(log.hasPrefix("error: cannot read the journal in \(dir.file("missing"))/journal"), "\(log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("out.csv") } == ["out.csv"])
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "previous export\n")
        // A journal folder whose meta file is garbage cannot be read either.
        try FileManager.default.createDirectory(atPath: dir.file("garbage/journal"), withIntermediateDirectories: true)
        try "not a journal\n".write(toFile: dir.file("garbage/journal/journal.meta"), atomically: true, encoding: .utf8)
        let (garbageCode, garbageLog) = try await run(["--data-dir": dir.file("garbage")])
        #expect(garbageCode == 66, "\(garbageLog)")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "previous export\n")
    }
}
