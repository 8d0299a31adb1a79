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
}
