import Foundation
import Gateway
import Testing
import TestSupport

/// A JSON config file is held to the same standard as the line form (issue 28, found black-box).
@Suite("JSON config files")
struct ConfigFileJSONTests {
    @Test("a JSON config file with a key given twice is refused, naming the file, both lines and the setting; config check exits 78")
    func duplicateKeys() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let text = "{\n  \"max-fill\": 7,\n  \"fill\": \"locf\",\n  \"max-fill\": 8\n}\n"
        let error = try #require(try ConfigFileTests.failure(text, in: dir, name: "gateway.json"))
        #expect(error.description.hasPrefix("max-fill (in \(dir.file("gateway.json")), line 4)=8: "), "\(error)")
        #expect(error.description.contains("line 2 (7)") && error.description.contains("line 4 (8)"), "\(error)")
        #expect(error.exitStatus == .configuration)
        let (code, output) = try await GatewayProcess.runTool(["config", "check", "--config", dir.file("gateway.json")], logPath: dir.file("check.log"))
        #expect(code == 78)
        #expect(output.contains("set twice, on line 2 (7) and line 4 (8)"), "\(output)")
        // Spelt once with - and once with _: the same setting, refused the same way.
        let spelt = try #require(try ConfigFileTests.failure("{\"max_fill\": 7,\n\"max-fill\": 8}", in: dir, name: "gateway.json"))
        #expect(spelt.description.contains("line 1 (7)") && spelt.description.contains("line 2 (8)"), "\(spelt)")
        // Both on one line, as a JSON file often is: told apart by column, not by "line 1 and line 1".
        let oneLine = try #require(try ConfigFileTests.failure("{\"max-fill\": 10, \"max_fill\": 20}", in: dir, name: "gateway.json"))
        #expect(oneLine.description.hasPrefix("max-fill (in \(dir.file("gateway.json")), line 1)=20: "), "\(oneLine)")
        #expect(oneLine.description.contains("set twice, both on line 1, at column 2 (10) and column 18 (20); keep one"), "\(oneLine)")
        // Each key once: loads.
        #expect(try ConfigFileTests.failure("{\"max-fill\": 7}", in: dir, name: "gateway.json") == nil)
    }
}
