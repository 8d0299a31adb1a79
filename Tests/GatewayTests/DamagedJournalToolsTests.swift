import Foundation
import Journal
import Testing
import TestSupport

/// `config check`, `replay` and `export` say what `run` and `journal verify` find in a damaged
/// journal (found black-box: "opened as it is", and a replay 621 readings short without a note).
@Suite("The journal tools over a damaged journal")
struct DamagedJournalToolsTests {
    @Test("at the same size and across a resize, config check names the damage run will report")
    func damageNamed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try UnfinishedJournal.write(in: dir, maxBytes: 4 << 20, records: 2048)
        let segment = try FileHandle(forUpdating: URL(fileURLWithPath: dir.file("data/journal/segment-0000.log")))
        try segment.seek(toOffset: 100_000)
        try segment.write(contentsOf: Data(repeating: 0xA5, count: 64))
        try segment.close()
        for size in ["4MiB", "8MiB"] {
            let config = dir.file("gateway-\(size).conf")
            try "data-dir: \(dir.file("data"))\njournal-max-bytes: \(size)\nhttp: off\n".write(toFile: config, atomically: true, encoding: .utf8)
            let (checked, output) = try await GatewayProcess.runTool(["config", "check", "--config", config], logPath: dir.file("check-\(size).log"))
            #expect(checked == 0, "\(output)")
            #expect(output.contains("damaged") && output.contains("journal verify"), "\(size): \(output)")
        }
    }

    @Test("replay and export over a journal whose newest segment was deleted say the output may be incomplete (the read alone cannot see it)")
    func newestSegmentLostNoted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try UnfinishedJournal.write(in: dir, maxBytes: 1 << 20, segmentCount: 8, records: 300)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("data/journal")).filter { $0.hasPrefix("segment-") }.sorted()
        let newest = try #require(
            files.last { (try? Data(contentsOf: URL(fileURLWithPath: dir.file("data/journal/\($0)"))).prefix(8).contains { $0 != 0 }) == true })
        try FileManager.default.removeItem(atPath: dir.file("data/journal/\(newest)"))
        for tool in [["replay"], ["export", "--format", "jsonl"]] {
            let (status, output) = try await GatewayProcess.runTool(
                tool + ["--data-dir", dir.file("data"), "--from", "0", "--to", "9999999999999"], logPath: dir.file("\(tool[0]).log"))
            #expect(status == 0, "\(output)")
            #expect(output.contains("the output may be incomplete: the journal is damaged"), "\(tool[0]): \(output)")
        }
    }

    @Test(
        "replay and export say the output may be incomplete for a day after a start found damage and mended it, as journal verify does (found black-box: export said nothing)"
    )
    func mendedDamageNoted() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try UnfinishedJournal.write(in: dir, maxBytes: 1 << 20, segmentCount: 8, records: 300)
        let tools = [["replay"], ["export", "--format", "jsonl"]]
        func notes() async throws -> [String] {
            var found: [String] = []
            for tool in tools {
                let (status, output) = try await GatewayProcess.runTool(
                    tool + ["--data-dir", dir.file("data"), "--from", "0", "--to", "9999999999999"], logPath: dir.file("\(tool[0]).log"))
                #expect(status == 0, "\(output)")
                found.append(output)
            }
            return found
        }
        // The journal whole, no start found damage: no note.
        for output in try await notes() { #expect(!output.contains("may be incomplete"), "\(output)") }
        // A start found damage an hour ago (its record, as `run` writes it) and mended it.
        let hourAgo = Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000
        try "\(hourAgo)\t2\tsegment 3 bytes 10..<20 damaged\n".write(toFile: dir.file("data/journal-damage"), atomically: true, encoding: .utf8)
        for (tool, output) in zip(tools, try await notes()) {
            #expect(
                output.contains("the output may be incomplete: a start at") && output.contains("first: segment 3 bytes 10..<20 damaged"),
                "\(tool[0]): \(output)")
        }
    }
}
